/**
 * Who may call what. Every route of the service is closed unless it says
 * otherwise:
 *
 *   /healthz, /metrics        public (counts only, never payloads or tokens)
 *   POST /v1/events           a token with the `ingest` scope; each event's org must be one of the token's
 *   POST /v1/sql              a token with the `sql` scope
 *   a route with config.access: 'public' | 'ingest' | 'sql' | 'token'
 *   any other route           any valid token
 *
 * The check runs on `onRequest`, before the body is read, so an unknown caller
 * costs the service no parsing. Without a token store (`--insecure-dev`)
 * every route is open.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContinuityError, type ErrorCode } from '../../errors/registry.ts';
import { authRequestsRefused } from '../../observability/metrics.ts';
import type { ContinuityEvent } from '../../schemas/index.ts';
import { RateLimiter, type RateLimits } from './rate-limit.ts';
import type { Principal, Scope, TokenStore } from './tokens.ts';

export type Access = 'public' | 'token' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see service/auth/auth-plugin.ts). Default: any valid token. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller's token, once authenticated; null when the service runs without tokens. */
    principal: Principal | null;
  }
}

const BUILT_IN: Record<string, Access> = {
  '/healthz': 'public',
  '/metrics': 'public',
  '/v1/events': 'ingest',
  '/v1/sql': 'sql',
};

export interface AuthOptions {
  /** null: no authentication at all (insecure development mode). */
  tokens: TokenStore | null;
  limits: RateLimits;
}

/** Says why an event may not be submitted by this caller, or null. */
export type EventGuard = (event: Pick<ContinuityEvent, 'org'>) => string | null;

export interface Auth {
  /**
   * For the ingest route, once the request's size in events is known: charges
   * the caller's rate (throws 429) and returns the per-event org check.
   */
  admitIngest(request: FastifyRequest, events: number): EventGuard | undefined;
}

function refuse(reply: FastifyReply, code: ErrorCode, message: string) {
  authRequestsRefused.inc({ code }, 1);
  const error = new ContinuityError(code, message);
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="continuity"');
  return reply.code(error.status).send(error.toJSON());
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ \t]+([\x21-\x7E]+)[ \t]*$/i.exec(header);
  return match ? match[1] : null;
}

/** Adds the check to `app` (call before registering routes); returns the ingest admission. */
export function installAuth(app: FastifyInstance, options: AuthOptions): Auth {
  const limiter = new RateLimiter(options.limits);
  app.decorateRequest('principal', null);

  if (options.tokens) {
    const tokens = options.tokens;
    app.addHook('onRequest', async (request, reply) => {
      const url = request.routeOptions.url;
      // Unknown URLs get fastify's 404, which reveals nothing.
      if (url === undefined) return;
      const access = request.routeOptions.config?.access ?? BUILT_IN[url] ?? 'token';
      if (access === 'public') return;
      const token = bearer(request);
      if (token === null) {
        return refuse(reply, 'CONT_ERR_AUTH_MISSING_TOKEN', request.headers.authorization === undefined ? 'send the header "Authorization: Bearer <token>"; continuity tokens create makes one' : 'the Authorization header must be "Bearer <token>"');
      }
      const principal = tokens.authenticate(token);
      if (principal === null) return refuse(reply, 'CONT_ERR_AUTH_INVALID_TOKEN', 'the token is unknown or has been revoked');
      if (access !== 'token' && !principal.scopes.has(access)) {
        return refuse(reply, 'CONT_ERR_AUTH_FORBIDDEN_SCOPE', `token "${principal.name}" lacks the "${access}" scope this endpoint needs (it has: ${[...principal.scopes].join(', ')})`);
      }
      request.principal = principal;
    });
  }

  return {
    admitIngest(request, events) {
      const principal = request.principal;
      if (principal === null) return undefined;
      limiter.take(principal, events);
      if (principal.orgs === '*') return undefined;
      const orgs = principal.orgs;
      const allowed = [...orgs].join(', ');
      return (event) => (orgs.has(event.org) ? null : `token "${principal.name}" may not submit events of org "${event.org}" (its orgs: ${allowed})`);
    },
  };
}
