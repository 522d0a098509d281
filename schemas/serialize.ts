/**
 * The canonical form of an event in the log: one JSON line, envelope fields in
 * catalog order, data keys sorted. Equal events give equal bytes, which is what
 * lets a retried batch be rebuilt into an identical block downstream.
 */
import type { ContinuityEvent } from './events.ts';

/** The log partition key: events of one org and region keep their order. */
export function eventKey(event: Pick<ContinuityEvent, 'org' | 'region'>): string {
  return `${event.org}:${event.region}`;
}

function sortedData(data: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data).sort()) {
    const value = (data as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function serializeEvent(event: ContinuityEvent): string {
  // Built field by field rather than spread so the key order never depends on
  // how the object was put together.
  const canonical: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    schema_version: event.schema_version,
    occurred_at: event.occurred_at,
    org: event.org,
    region: event.region,
    quantity: event.quantity,
  };
  if (event.customer_ref !== undefined) canonical.customer_ref = event.customer_ref;
  canonical.source = event.source;
  canonical.data = sortedData(event.data);
  return JSON.stringify(canonical);
}
