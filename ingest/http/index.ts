export { ingestPlugin } from './ingest-plugin.ts';
export { ingestPluginDefaults, type IngestPluginOptions } from './config.ts';
