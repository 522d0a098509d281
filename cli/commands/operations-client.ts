/**
 * The operations commands' way to a running service that owns the data
 * directory: the same operations over HTTP (routes of scope `operate`).
 */
import type { ServiceInfo } from '../../service/data-dir.ts';
import { authHeaders, tokenFor } from '../service-auth.ts';

export interface ServiceClient {
  readonly url: string;
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

export function serviceClient(service: ServiceInfo, flags: { token?: string }): ServiceClient {
  const token = tokenFor(service, flags);
  return {
    url: service.url,
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${service.url}${path}`, {
        method,
        headers: { ...authHeaders(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { code: 'CONT_ERR_SERVICE_INTERNAL', message: text };
      }
      if (!response.ok) {
        const error = parsed as { code?: string; message?: string };
        throw Object.assign(new Error(error.message ?? `${method} ${path}: HTTP ${response.status}`), { code: error.code ?? `HTTP ${response.status}` });
      }
      return parsed as T;
    },
  };
}
