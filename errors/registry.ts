/**
 * Every error the project reports to a user or a producer, by code.
 * `docs/errors.md` lists the same codes; `errors.unit.spec.ts` keeps the two in step.
 * `retriable` tells a client whether the same request may succeed later unchanged.
 */
export const errorRegistry = {
  CONT_ERR_CONFIG_INVALID: { status: 500, retriable: false, title: 'Configuration is invalid' },
  CONT_ERR_INGEST_INVALID_EVENT: { status: 422, retriable: false, title: 'Event failed validation' },
  CONT_ERR_INGEST_NO_VALID_EVENTS: { status: 422, retriable: false, title: 'No event in the request was valid' },
  CONT_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false, title: 'Body is neither NDJSON nor JSON' },
  CONT_ERR_INGEST_MALFORMED_BODY: { status: 400, retriable: false, title: 'Body could not be parsed' },
  CONT_ERR_INGEST_BODY_TOO_LARGE: { status: 413, retriable: false, title: 'Request body is larger than allowed' },
  CONT_ERR_INGEST_TOO_MANY_EVENTS: { status: 413, retriable: false, title: 'More events in one request than allowed' },
  CONT_ERR_INGEST_RATE_LIMITED: { status: 429, retriable: true, title: 'The token sent more events than its rate allows' },
  CONT_ERR_INGEST_LOG_UNAVAILABLE: { status: 503, retriable: true, title: 'The event log did not acknowledge the append' },
  CONT_ERR_LOG_LOCKED: { status: 409, retriable: true, title: 'Another process holds the embedded log' },
  CONT_ERR_LOG_CORRUPT: { status: 500, retriable: false, title: 'A log record failed its checksum' },
  CONT_ERR_LOG_GROUP_ACTIVE: { status: 409, retriable: true, title: 'The consumer group has running members' },
  CONT_ERR_LOG_NOT_ASSIGNED: { status: 409, retriable: true, title: 'The partition is not assigned to this consumer' },
  CONT_ERR_LOG_OFFSET_OUT_OF_RANGE: { status: 416, retriable: false, title: 'Offset outside the stored range' },
  CONT_ERR_LOG_UNAVAILABLE: { status: 503, retriable: true, title: 'The Kafka brokers could not be reached or did not answer' },
  CONT_ERR_LOG_TOPIC_MISSING: { status: 500, retriable: false, title: 'The Kafka topic does not exist and was not created' },
  CONT_ERR_WAREHOUSE_QUERY: { status: 400, retriable: false, title: 'The warehouse rejected the query' },
  CONT_ERR_WAREHOUSE_UNAVAILABLE: { status: 503, retriable: true, title: 'The warehouse could not be reached' },
  CONT_ERR_WAREHOUSE_MIGRATION: { status: 500, retriable: false, title: 'A migration failed or was changed after it was applied' },
  CONT_ERR_OPERATION_INVALID: { status: 400, retriable: false, title: 'The parameters of an operation are not valid' },
  CONT_ERR_REPLAY_UNFINISHED: { status: 409, retriable: false, title: 'Another replay is unfinished' },
  CONT_ERR_REPLAY_STATE: { status: 409, retriable: false, title: 'The replay cannot do that in its current state' },
  CONT_ERR_SQL_READ_ONLY: { status: 403, retriable: false, title: 'The SQL endpoint only reads' },
  CONT_ERR_SQL_TOO_MANY_ROWS: { status: 422, retriable: false, title: 'The result has more rows than the SQL limit' },
  CONT_ERR_SQL_TIMEOUT: { status: 504, retriable: false, title: 'The query ran longer than the SQL time limit' },
  CONT_ERR_DASHBOARD_FILTER: { status: 400, retriable: false, title: 'A dashboard filter value is not valid' },
  CONT_ERR_DATA_DIR_BUSY: { status: 409, retriable: true, title: 'A running service holds the data directory' },
  CONT_ERR_AUTH_MISSING_TOKEN: { status: 401, retriable: false, title: 'No bearer token was sent' },
  CONT_ERR_AUTH_INVALID_TOKEN: { status: 401, retriable: false, title: 'The bearer token is unknown or revoked' },
  CONT_ERR_AUTH_FORBIDDEN_SCOPE: { status: 403, retriable: false, title: 'The token lacks the scope this endpoint needs' },
  CONT_ERR_AUTH_FORBIDDEN_ORG: { status: 403, retriable: false, title: 'The token may not submit events of this org' },
  CONT_ERR_AUTH_NOT_CONFIGURED: { status: 500, retriable: false, title: 'No tokens are configured and insecure mode was not asked for' },
  CONT_ERR_NOT_FOUND: { status: 404, retriable: false, title: 'No such resource' },
  CONT_ERR_SERVICE_INTERNAL: { status: 500, retriable: true, title: 'Unexpected failure inside the service' },
} as const satisfies Record<string, { status: number; retriable: boolean; title: string }>;

export type ErrorCode = keyof typeof errorRegistry;

/** The one error type raised across boundaries. */
export class ContinuityError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ContinuityError';
    this.code = code;
    this.status = errorRegistry[code].status;
    this.retriable = errorRegistry[code].retriable;
    this.details = options.details;
  }

  toJSON() {
    return { code: this.code, message: this.message, retriable: this.retriable, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

export function isContinuityError(error: unknown, code?: ErrorCode): error is ContinuityError {
  return error instanceof ContinuityError && (code === undefined || error.code === code);
}
