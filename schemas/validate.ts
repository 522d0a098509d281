/**
 * Validation of one event: every problem, each naming its field, so a producer
 * fixes a rejected batch in one round trip.
 */
import type { z } from 'zod';
import { type Catalog, defaultCatalog } from './catalog.ts';
import {
  type ContinuityEvent,
  ENVELOPE_FIELDS,
  type EventType,
  isEventType,
  knownSchemaVersions,
  latestSchemaVersion,
  schemasFor,
  upcast,
  type VersionedEvent,
} from './events.ts';
import { shown } from './reasons.ts';

/** `field` is a dotted path (`region`, `data.service`); `$` is the whole document. */
export type FieldError = { field: string; reason: string };

export type ValidationResult = { ok: true; event: ContinuityEvent } | { ok: false; errors: FieldError[] };

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: [...issue.path, key].join('.'), reason: 'unknown field' });
    } else {
      errors.push({ field: issue.path.length === 0 ? '$' : issue.path.join('.'), reason: issue.message });
    }
  }
  return errors;
}

const fieldOrder = new Map<string, number>(ENVELOPE_FIELDS.map((f, i) => [f, i]));

/** Catalog order of the top-level field, unknown fields last; a stable order for humans and tests. */
function byCatalogOrder(errors: FieldError[]): FieldError[] {
  const rank = (e: FieldError) => fieldOrder.get(e.field.split('.', 1)[0]) ?? ENVELOPE_FIELDS.length;
  return errors
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j)
    .map(([e]) => e);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(errors: FieldError[]): ValidationResult {
  return { ok: false, errors: byCatalogOrder(errors) };
}

/**
 * Checks an event against the catalog and returns it in its latest schema
 * version with defaults filled in, or every problem found.
 */
export function validateEvent(input: unknown, catalog: Catalog = defaultCatalog()): ValidationResult {
  if (!isRecord(input)) return { ok: false, errors: [{ field: '$', reason: `must be a JSON object (got ${input === undefined ? 'nothing' : shown(input)})` }] };
  const schemas = schemasFor(catalog);
  const { type, schema_version: version } = input;

  const schema = isEventType(type) && typeof version === 'number' ? schemas.byType[type][version - 1] : undefined;
  if (schema === undefined) {
    // Without a known type and version the shape of `data` is unknown, so
    // only the envelope is checked.
    const parsed = schemas.envelope.safeParse(input);
    const errors = parsed.success ? [] : toFieldErrors(parsed.error.issues);
    if (isEventType(type) && !errors.some((e) => e.field === 'schema_version')) {
      errors.push({ field: 'schema_version', reason: `unknown version ${shown(version)} for ${type} (known: ${knownSchemaVersions(type).join(', ')})` });
    }
    return fail(errors);
  }

  const parsed = schema.safeParse(input);
  if (!parsed.success) return fail(toFieldErrors(parsed.error.issues));
  const event = parsed.data as VersionedEvent;
  if (event.schema_version === latestSchemaVersion(type as EventType)) return { ok: true, event: event as ContinuityEvent };

  // An upcaster's output is checked like any input, so a faulty upcaster
  // surfaces as a validation error naming the field it got wrong.
  const lifted = schemas.byType[type as EventType][latestSchemaVersion(type as EventType) - 1].safeParse(upcast(event));
  if (!lifted.success) return fail(toFieldErrors(lifted.error.issues).map((e) => ({ field: e.field, reason: `after upcasting from v${event.schema_version}: ${e.reason}` })));
  return { ok: true, event: lifted.data as ContinuityEvent };
}

/** Validates one NDJSON line. */
export function parseEventLine(line: string, catalog?: Catalog): ValidationResult {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (error) {
    return { ok: false, errors: [{ field: '$', reason: `not valid JSON: ${jsonErrorReason((error as Error).message)}` }] };
  }
  return validateEvent(input, catalog);
}

/**
 * V8 quotes the start of the input in some JSON errors ("Unexpected token 'x',
 * "{…"... is not valid JSON"). The input may carry customer data and reasons
 * are shown in terminals and responses, so the quote is cut.
 */
function jsonErrorReason(message: string): string {
  return message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, '');
}

/** "region: …; quantity: …", for logs and single-line messages. */
export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.reason}`).join('; ');
}
