/**
 * The v1 event catalog as zod schemas: the envelope every event shares and the
 * `data` of each type, per schema version.
 *
 * Versioning: `DATA_SCHEMAS[type]` lists a type's data schemas, version 1
 * first, so the latest is the last. Adding v2 of a type means appending its
 * schema there and registering `upcasters[type][1]` (v1 event → v2 event);
 * readers then receive every event of that type in its latest shape.
 *
 * Money fields on an event with quantity > 1 are totals over the quantity.
 */
import { z } from 'zod';
import { type Catalog, perCatalog, SERVICES } from './catalog.ts';
import { listed, oneOf, reason, shown } from './reasons.ts';
import { CUSTOMER_REF_PATTERN, customerRefProblem, describeCustomerRef } from './customer-ref.ts';
import { checkDate, checkDateTime, DATE_PATTERN, DATE_TIME_PATTERN, MAX_YEAR, MIN_YEAR } from './time.ts';

export const EVENT_TYPES = [
  'suspension.waived',
  'disconnection.deferred',
  'late_fee.waived',
  'online.transaction',
  'repair.reported',
  'repair.dispatched',
  'repair.arrived',
  'repair.completed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_SET.has(value);
}

/** Envelope fields in catalog order; serialization and error order follow it. */
export const ENVELOPE_FIELDS = ['id', 'type', 'schema_version', 'occurred_at', 'org', 'region', 'quantity', 'customer_ref', 'source', 'data'] as const;

export const ONLINE_KINDS = ['payment', 'service_ticket', 'business', 'registration'] as const;
export const CHANNELS = ['app', 'wechat', 'web', 'hotline', 'terminal', 'counter'] as const;
export const REPAIR_KINDS = ['gas_leak', 'outage', 'line_fault', 'meter', 'other'] as const;
export const PRIORITIES = ['urgent', 'normal'] as const;
export const MAX_QUANTITY = 1e12;

// ---------------------------------------------------------------- data, v1

const service = z.enum(SERVICES, { error: (iss) => oneOf(SERVICES, iss.input) }).meta({ description: 'The service kept, deferred or waived.' });

function cny(description: string) {
  const error = (iss: { input?: unknown }) => reason('a number ≥ 0 (yuan)', iss.input);
  return z.number({ error }).min(0, { error }).meta({ description });
}

const dateOnly = z
  .string({ error: (iss) => reason('a date YYYY-MM-DD, e.g. 2020-03-31', iss.input) })
  .superRefine((value, ctx) => {
    const check = checkDate(value);
    if (check === 'ok') return;
    const message =
      check === 'format'
        ? reason('a date YYYY-MM-DD, e.g. 2020-03-31', value)
        : check === 'calendar'
          ? `must be a real calendar date (got ${shown(value)})`
          : `must be a year between ${MIN_YEAR} and ${MAX_YEAR} (got ${shown(value)})`;
    ctx.addIssue({ code: 'custom', message, input: value });
  })
  .meta({ pattern: DATE_PATTERN, format: 'date' });

const suspensionWaivedV1 = z.strictObject(
  {
    service,
    arrears_cny: cny('Arrears left unpaid while the service stayed on.').optional(),
    reason: z.string({ error: (iss) => reason('a string', iss.input) }).optional().meta({ description: 'Why the service was kept, free text.' }),
  },
  { error: (iss) => reason('an object with the fields of suspension.waived', iss.input) },
);

// ---------------------------------------------------------------- data, v2

/**
 * Who the service was kept on for, as the commitments name them: people on the
 * front line of epidemic control (疫情防控一线人员), customers in high-incidence
 * areas (疫情高发区用户), households affected by the epidemic with difficulty
 * paying (受疫情影响、交费有困难的居民用户), facilities of epidemic control such
 * as hospitals and isolation sites (防疫有关重点用户). `unspecified`: the
 * producer did not say; every v1 event is upcast to it.
 */
export const BENEFICIARIES = ['frontline', 'epidemic_area', 'resident', 'epidemic_facility', 'unspecified'] as const;
export type Beneficiary = (typeof BENEFICIARIES)[number];

const suspensionWaivedV2 = z.strictObject(
  {
    ...suspensionWaivedV1.shape,
    beneficiary: z
      .enum(BENEFICIARIES, { error: (iss) => (iss.input === undefined ? `required (one of ${BENEFICIARIES.join(', ')})` : oneOf(BENEFICIARIES, iss.input)) })
      .meta({ description: 'Who the service was kept on for; unspecified when the producer does not know (v1 events are upcast to it).' }),
  },
  { error: (iss) => reason('an object with the fields of suspension.waived', iss.input) },
);

const disconnectionDeferredV1 = z.strictObject(
  {
    service,
    deferred_until: dateOnly.meta({ description: 'Day until which disconnection is deferred (calendar day, China Standard Time).' }),
  },
  { error: (iss) => reason('an object with the fields of disconnection.deferred', iss.input) },
);

const lateFeeWaivedV1 = z.strictObject(
  {
    service,
    amount_cny: cny('Late fees not charged.'),
  },
  { error: (iss) => reason('an object with the fields of late_fee.waived', iss.input) },
);

const onlineTransactionV1 = z.strictObject(
  {
    kind: z.enum(ONLINE_KINDS, { error: (iss) => oneOf(ONLINE_KINDS, iss.input) }).meta({ description: 'What was done online or remotely.' }),
    channel: z.enum(CHANNELS, { error: (iss) => oneOf(CHANNELS, iss.input) }).meta({ description: 'Where it was done.' }),
    amount_cny: cny('Amount paid, for payments.').optional(),
  },
  { error: (iss) => reason('an object with the fields of online.transaction', iss.input) },
);

function repairV1(type: string) {
  const orderError = (iss: { input?: unknown }) => reason('a non-empty string of at most 128 characters', iss.input);
  return z.strictObject(
    {
      order_id: z
        .string({ error: orderError })
        .min(1, { error: orderError })
        .max(128, { error: orderError })
        .meta({ description: 'Work-order id; the four repair events of one order share it.' }),
      kind: z.enum(REPAIR_KINDS, { error: (iss) => oneOf(REPAIR_KINDS, iss.input) }).meta({ description: 'What was repaired.' }),
      priority: z.enum(PRIORITIES, { error: (iss) => oneOf(PRIORITIES, iss.input) }).optional(),
    },
    { error: (iss) => reason(`an object with the fields of ${type}`, iss.input) },
  );
}

/** Data schemas per type; index 0 is version 1, the last entry is the latest version. */
export const DATA_SCHEMAS = {
  'suspension.waived': [suspensionWaivedV1, suspensionWaivedV2],
  'disconnection.deferred': [disconnectionDeferredV1],
  'late_fee.waived': [lateFeeWaivedV1],
  'online.transaction': [onlineTransactionV1],
  'repair.reported': [repairV1('repair.reported')],
  'repair.dispatched': [repairV1('repair.dispatched')],
  'repair.arrived': [repairV1('repair.arrived')],
  'repair.completed': [repairV1('repair.completed')],
} as const satisfies { [T in EventType]: readonly [z.ZodType, ...z.ZodType[]] };

type Last<A extends readonly unknown[]> = A extends readonly [...unknown[], infer L] ? L : never;
export type EventData<T extends EventType> = z.output<Last<(typeof DATA_SCHEMAS)[T]>>;

export function latestSchemaVersion(type: EventType): number {
  return DATA_SCHEMAS[type].length;
}

/** The highest schema version of any type: the catalog's version, what the newest JSON Schema file is named after. */
export function catalogVersion(): number {
  return Math.max(...EVENT_TYPES.map(latestSchemaVersion));
}

export function knownSchemaVersions(type: EventType): number[] {
  return DATA_SCHEMAS[type].map((_, i) => i + 1);
}

// ---------------------------------------------------------------- upcasting

/** An event of any version, as an upcaster sees it. */
export interface VersionedEvent extends Omit<EventEnvelope, 'type'> {
  type: EventType;
  data: Record<string, unknown>;
}

/** Turns a valid event of version n into an event of version n + 1. */
export type Upcaster = (event: VersionedEvent) => VersionedEvent;

/**
 * `upcasters[type][n]` lifts a version-n event of `type` to n + 1. Every
 * version below the latest needs one; `upcasters.unit.spec` checks that.
 */
export const upcasters: { readonly [T in EventType]?: Readonly<Record<number, Upcaster>> } = {
  'suspension.waived': {
    // v1 did not say who the service was kept on for.
    1: (event) => ({ ...event, data: { ...event.data, beneficiary: 'unspecified' } }),
  },
};

/** Applies upcasters from the event's version up to `latest` (the type's latest by default). */
export function upcast(event: VersionedEvent, registry: typeof upcasters = upcasters, latest = latestSchemaVersion(event.type)): VersionedEvent {
  let current = event;
  while (current.schema_version < latest) {
    const step = registry[current.type]?.[current.schema_version];
    if (step === undefined) throw new Error(`no upcaster from ${current.type} v${current.schema_version} to v${current.schema_version + 1}`);
    current = { ...step(current), type: current.type, schema_version: current.schema_version + 1 };
  }
  return current;
}

// ---------------------------------------------------------------- envelope

export interface EventEnvelope {
  id: string;
  type: EventType;
  schema_version: number;
  occurred_at: string;
  org: string;
  region: string;
  quantity: number;
  customer_ref?: string;
  source: string;
}

export type EventOf<T extends EventType> = Omit<EventEnvelope, 'type'> & { type: T; data: EventData<T> };

/** A validated event in its latest version, quantity filled in. */
export type ContinuityEvent = { [T in EventType]: EventOf<T> }[EventType];

// The patterns the JSON Schema publishes; `isEventIdAt` checks the same by hand (a test holds them together).
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Crockford base32, 26 characters, first at most 7 so the 128-bit value fits.
const ULID = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
export const EVENT_ID_PATTERNS = { uuid: UUID, ulid: ULID } as const;

/** Per character code below 128: bit 1 set for a hex digit, bit 2 for a ULID character. */
const ID_CHARS = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[0-9a-fA-F]/.test(ch)) table[c] |= 1;
    if (/[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]/.test(ch)) table[c] |= 2;
  }
  return table;
})();

/** Whether `value` is an event id (a UUID or a ULID); the schema and ingest's fast path both ask this. */
export function isEventId(value: string): boolean {
  return isEventIdAt(value, 0, value.length);
}

/** `isEventId` of `s[start, end)`, read off the characters (the patterns are UUID's and ULID's above). */
export function isEventIdAt(s: string, start: number, end: number): boolean {
  if (end - start === 36) {
    for (let i = 0; i < 36; i++) {
      const c = s.charCodeAt(start + i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 0x2d) return false;
      } else if (c > 127 || (ID_CHARS[c] & 1) === 0) return false;
    }
    return true;
  }
  if (end - start !== 26) return false;
  const first = s.charCodeAt(start);
  if (first < 0x30 || first > 0x37) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || (ID_CHARS[c] & 2) === 0) return false;
  }
  return true;
}

function envelopeFields(catalog: Catalog, forJsonSchema: boolean) {
  const idError = (iss: { input?: unknown }) => reason('a UUID or a ULID', iss.input);
  const id = z
    .string({ error: idError })
    .refine(isEventId, { error: idError })
    .meta({ description: 'Globally unique; the idempotency key end to end. A UUID (any version) or a ULID.', anyOf: [{ pattern: UUID.source }, { pattern: ULID.source }] });

  const occurredAtExpected = 'an ISO-8601 date-time with an offset, e.g. 2020-01-24T08:00:00+08:00';
  const occurred_at = z
    .string({ error: (iss) => reason(occurredAtExpected, iss.input) })
    .superRefine((value, ctx) => {
      const check = checkDateTime(value);
      if (check === 'ok') return;
      const message =
        check === 'format'
          ? reason(occurredAtExpected, value)
          : check === 'calendar'
            ? `must be a real calendar date and time (got ${shown(value)})`
            : `must be a year between ${MIN_YEAR} and ${MAX_YEAR} (got ${shown(value)})`;
      ctx.addIssue({ code: 'custom', message, input: value });
    })
    .meta({ description: 'When the business fact happened, with its UTC offset (+08:00 in the sources).', pattern: DATE_TIME_PATTERN, format: 'date-time' });

  const orgCodes = catalog.orgCodes as [string, ...string[]];
  const orgError = (iss: { input?: unknown }) =>
    typeof iss.input === 'string' ? `unknown org ${shown(iss.input)} (known: ${listed(orgCodes)})` : reason(`an org code (known: ${listed(orgCodes)})`, iss.input);
  const org = z.enum(orgCodes, { error: orgError }).meta({ description: 'Issuing organisation, a code of the org catalog.', ...(forJsonSchema ? { id: 'org' } : {}) });

  const regionCodes = catalog.regionCodes as [string, ...string[]];
  const regionExpected = 'a 6-digit GB/T 2260 code such as 310000';
  const regionError = (iss: { input?: unknown }) =>
    typeof iss.input === 'string' && /^\d{6}$/.test(iss.input)
      ? `unknown region code ${shown(iss.input)} (expected ${regionExpected})`
      : reason(`${regionExpected}, as a string`, iss.input);
  // Shared $defs keep the JSON Schema from repeating the region list once per type.
  const region = z.enum(regionCodes, { error: regionError }).meta({
    description: 'Administrative division, a 6-digit GB/T 2260 code (province, prefecture, or county-level division directly under a province).',
    ...(forJsonSchema ? { id: 'region' } : {}),
  });

  const quantityError = (iss: { input?: unknown }) =>
    typeof iss.input === 'number' && Number.isInteger(iss.input) && iss.input > MAX_QUANTITY
      ? `must be an integer ≤ ${MAX_QUANTITY} (got ${shown(iss.input)})`
      : reason('an integer ≥ 1', iss.input);
  const quantity = z
    .int({ error: quantityError })
    .min(1, { error: quantityError })
    .max(MAX_QUANTITY, { error: quantityError })
    .default(1)
    .meta({ description: 'Person-times or items the event stands for; a daily report of 1,000,000 deferrals is one event.' });

  // The offending value is never shown: it may be the very identifier the rule protects.
  const refError = (iss: { input?: unknown }) =>
    iss.input === undefined ? 'required (expected a string of 1 to 128 characters)' : `must be a string of 1 to 128 characters (got ${describeCustomerRef(iss.input)})`;
  const customer_ref = z
    .string({ error: refError })
    .min(1, { error: refError })
    .max(128, { error: refError })
    .superRefine((value, ctx) => {
      if (value.length < 1 || value.length > 128) return; // reported by min/max
      const message = customerRefProblem(value);
      if (message !== null) ctx.addIssue({ code: 'custom', message, input: value });
    })
    .optional()
    .meta({
      pattern: CUSTOMER_REF_PATTERN.source,
      description:
        'Pseudonymous customer key, never a raw account number: base64url(HMAC-SHA256(key, account number)) with a key the producer keeps. Values that look like a phone, account, card or ID-card number or an email address are rejected.',
    });

  const sourceError = (iss: { input?: unknown }) => reason('a non-empty string of at most 128 characters', iss.input);
  const source = z.string({ error: sourceError }).min(1, { error: sourceError }).max(128, { error: sourceError }).meta({ description: 'Producing system, for audit.' });

  return { id, occurred_at, org, region, quantity, customer_ref, source };
}

const typeError = (iss: { input?: unknown }) =>
  typeof iss.input === 'string' ? `unknown event type ${shown(iss.input)} (known: ${EVENT_TYPES.join(', ')})` : reason(`an event type (known: ${EVENT_TYPES.join(', ')})`, iss.input);

function versionError(iss: { input?: unknown }) {
  return reason('an integer ≥ 1', iss.input);
}

function buildEventSchema<T extends EventType, D extends z.ZodType>(type: T, version: number, data: D, fields: ReturnType<typeof envelopeFields>) {
  return z.strictObject({
    id: fields.id,
    type: z.literal(type, { error: typeError }),
    schema_version: z.literal(version, { error: versionError }),
    occurred_at: fields.occurred_at,
    org: fields.org,
    region: fields.region,
    quantity: fields.quantity,
    customer_ref: fields.customer_ref,
    source: fields.source,
    data,
  });
}

export interface EventSchemas {
  /** Full schemas per type, index = version - 1. */
  readonly byType: { readonly [T in EventType]: readonly z.ZodType<unknown>[] };
  /** The envelope alone, for events whose type or version is not known: their data cannot be checked. */
  readonly envelope: z.ZodType<unknown>;
  /** Every type in catalog version `version` (its own latest where it has fewer), discriminated by `type`; what the JSON Schema shows. */
  union(version: number): z.ZodType<unknown>;
}

/** Builds every schema for one catalog. Costly: callers cache (see `schemasFor`). */
export function buildEventSchemas(catalog: Catalog, options: { forJsonSchema?: boolean } = {}): EventSchemas {
  const fields = envelopeFields(catalog, options.forJsonSchema === true);
  const byType = Object.fromEntries(
    EVENT_TYPES.map((type) => [type, DATA_SCHEMAS[type].map((data, i) => buildEventSchema(type, i + 1, data, fields))]),
  ) as unknown as EventSchemas['byType'];
  const envelope = z.strictObject({
    id: fields.id,
    type: z.enum(EVENT_TYPES, { error: typeError }),
    schema_version: z.int({ error: versionError }).min(1, { error: versionError }),
    occurred_at: fields.occurred_at,
    org: fields.org,
    region: fields.region,
    quantity: fields.quantity,
    customer_ref: fields.customer_ref,
    source: fields.source,
    data: z.record(z.string(), z.unknown(), { error: (iss) => reason('an object', iss.input) }),
  });
  return {
    byType,
    envelope,
    union(version) {
      if (!Number.isInteger(version) || version < 1 || version > catalogVersion()) throw new Error(`the catalog has no schema version ${version} (latest: ${catalogVersion()})`);
      // Catalog version n: each type in its version n, or its latest when it has fewer.
      const options = EVENT_TYPES.map((type) => {
        const v = Math.min(version, latestSchemaVersion(type));
        return buildEventSchema(type, v, DATA_SCHEMAS[type][v - 1], fields);
      });
      return z.discriminatedUnion('type', options as unknown as [ReturnType<typeof buildEventSchema>, ...ReturnType<typeof buildEventSchema>[]]);
    },
  };
}

/** The schemas of a catalog, built on first use and kept as long as the catalog lives. */
export const schemasFor: (catalog: Catalog) => EventSchemas = perCatalog(buildEventSchemas);
