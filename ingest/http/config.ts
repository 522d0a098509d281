export interface IngestPluginOptions {
  /** Largest request body, bytes. Default 16 MiB. */
  bodyLimitBytes?: number;
}

export const ingestPluginDefaults = { bodyLimitBytes: 16 * 1024 * 1024 } as const;
