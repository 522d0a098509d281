/**
 * The event catalog's public surface. Ingest, processors and the simulator
 * import from here only; the files behind it may be reorganised freely.
 */
export {
  type Catalog,
  defaultCatalog,
  loadCatalog,
  type Org,
  orgName,
  type Region,
  regionName,
  REGION_LEVELS,
  type RegionLevel,
  SECTORS,
  type Sector,
  SERVICES,
  type Service,
} from './catalog.ts';
export {
  type Beneficiary,
  BENEFICIARIES,
  catalogVersion,
  CHANNELS,
  type ContinuityEvent,
  DATA_SCHEMAS,
  ENVELOPE_FIELDS,
  EVENT_TYPES,
  type EventData,
  type EventEnvelope,
  type EventOf,
  type EventType,
  isEventType,
  knownSchemaVersions,
  latestSchemaVersion,
  MAX_QUANTITY,
  ONLINE_KINDS,
  PRIORITIES,
  REPAIR_KINDS,
  type Upcaster,
  upcast,
  upcasters,
  type VersionedEvent,
} from './events.ts';
export { eventJsonSchema } from './json-schema.ts';
export { type FastAccepted, type FastAcceptor, fastAcceptor } from './fast-accept.ts';
export { eventKey, serializeEvent } from './serialize.ts';
export { type FieldError, formatFieldErrors, parseEventLine, type ValidationResult, validateEvent } from './validate.ts';
