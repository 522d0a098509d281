/**
 * Authentication of the service, from configuration. Tokens are enforced when
 * any are configured; with none, `serve` refuses to start unless
 * `--insecure-dev` was given, and `demo` runs on a token it makes itself.
 */
import type { FrozenConfig } from '../../config/config.ts';
import { ContinuityError } from '../../errors/registry.ts';
import { generateToken, TokenStore } from './tokens.ts';

export { installAuth, type Access, type Auth, type EventGuard } from './auth-plugin.ts';
export { RateLimiter, type RateLimits } from './rate-limit.ts';
export { generateToken, parseTokens, SCOPES, sha256Hex, TokenStore, type Principal, type Scope, type TokenEntry } from './tokens.ts';

export const NOT_CONFIGURED_MESSAGE =
  'no tokens are configured, so the service would accept events and queries from anyone. ' +
  'Create one with `continuity tokens create --name <producer> --org <org> --file tokens.json` and start with `--tokens tokens.json` ' +
  '(or CONTINUITY_TOKENS_FILE, or the list inline in CONTINUITY_TOKENS); `--insecure-dev` serves without tokens, on a developer machine only';

export interface ServiceAuth {
  /** null: every route open (insecure development mode). */
  readonly tokens: TokenStore | null;
  /**
   * A token made for this run, with every org and scope, for the commands of
   * this machine (written to the data directory's service.json, mode 0600).
   */
  readonly localToken: string | null;
  close(): void;
}

export function openServiceAuth(config: FrozenConfig, options: { knownOrgs?: ReadonlySet<string>; localTokenOnly?: boolean; onWarning?: (m: string) => void } = {}): ServiceAuth {
  const { tokensFile, tokens: inline, insecureDev } = config.auth;
  if (!tokensFile && !inline && !options.localTokenOnly) {
    if (insecureDev) return { tokens: null, localToken: null, close() {} };
    throw new ContinuityError('CONT_ERR_AUTH_NOT_CONFIGURED', NOT_CONFIGURED_MESSAGE);
  }
  const store = new TokenStore({ file: tokensFile, inline, knownOrgs: options.knownOrgs, onWarning: options.onWarning });
  const localToken = generateToken();
  store.add(localToken, { name: 'local:service.json', orgs: '*', scopes: new Set(['ingest', 'sql', 'operate'] as const), local: true });
  return { tokens: store, localToken, close: () => store.close() };
}
