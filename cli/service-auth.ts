/** Flags and messages of the service's authentication, shared by `serve` and `demo`; how commands find a token. */
import type { ConfigInput, FrozenConfig } from '../config/config.ts';
import type { ServiceInfo } from '../service/data-dir.ts';
import type { RunningService } from '../service/server.ts';

export interface ServeFlags {
  tokens?: string;
  insecureDev?: boolean;
  maxEventsPerRequest?: string;
  rate?: string;
  burst?: string;
  bodyLimit?: string;
}

export function serveConfig(flags: ServeFlags): ConfigInput {
  return {
    auth: { tokensFile: flags.tokens, insecureDev: flags.insecureDev },
    http: {
      maxEventsPerRequest: flags.maxEventsPerRequest as never,
      rateEventsPerSecond: flags.rate as never,
      rateBurst: flags.burst as never,
      bodyLimitBytes: flags.bodyLimit as never,
    },
  };
}

/** What a starting service says about who may call it. Never prints a token. */
export function authSummary(service: RunningService, config: FrozenConfig): string {
  const { tokens } = service.auth;
  if (tokens === null) {
    return '  WARNING: --insecure-dev and no tokens: anyone who reaches this port may ingest and query. Never run this way on a shared network.';
  }
  const from = [config.auth.tokensFile && `file ${config.auth.tokensFile} (re-read on change)`, config.auth.tokens && 'CONTINUITY_TOKENS'].filter(Boolean).join(' and ');
  const rate = config.http.rateEventsPerSecond > 0 ? `${config.http.rateEventsPerSecond} events/s per token, bursts of ${config.http.rateBurst}` : 'no rate limit';
  return [
    `  tokens: ${tokens.configured} configured${from ? ` from ${from}` : ''}; commands on this machine use the token in ${config.dataDir}/service.json`,
    `  limits: ${config.http.bodyLimitBytes} bytes and ${config.http.maxEventsPerRequest} events per request, ${rate}`,
  ].join('\n');
}

/**
 * The token a command sends to a running service: `--token`, else
 * CONTINUITY_TOKEN, else the one the service wrote to its service.json.
 */
export function tokenFor(service: ServiceInfo, flags: { token?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flags.token || env.CONTINUITY_TOKEN || service.token || undefined;
}

/** Request headers carrying the token, if there is one. */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export const TOKEN_OPTION_HELP = 'bearer token for the running service (env CONTINUITY_TOKEN; default: the one in the data directory\'s service.json)';
