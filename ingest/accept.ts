/**
 * The edge of the pipeline: raw lines in, validated events durably in the log,
 * rejected lines durably in the dead-letter log. One path for the HTTP API, the
 * file import and the simulator.
 */
import type { AppendRecord, EventLog } from '../event-log/event-log.ts';
import { ContinuityError } from '../errors/registry.ts';
import { ingestEventsAccepted, ingestEventsRejected } from '../observability/metrics.ts';
import { eventKey, serializeEvent, validateEvent, type Catalog, type ContinuityEvent, type FieldError } from '../schemas/index.ts';
import { deadLetterRecord, newDeadLetter } from './dead-letters.ts';
import { canonicalAt, inlineValidation, type ValidationPool } from './validation/index.ts';

/** Marks records this ingest validated and wrote in canonical form (see the events loader). */
const VALIDATED = Object.freeze({ 'continuity-validated': '1' });

export interface InputLine {
  /** 1-based position in the submitted body. */
  line: number;
  text: string;
  /** Set when the line was refused before parsing (not UTF-8, too long); `text` is then what is kept of it. */
  invalid?: FieldError;
}

export interface Rejection {
  line: number;
  errors: FieldError[];
  reason: string;
  deadLetterId: string;
  /** Set when the event was valid but its submitter may not send it (CONT_ERR_AUTH_FORBIDDEN_ORG). */
  forbidden?: boolean;
}

export interface IngestLinesOptions {
  /** Why this submitter may not send a valid event (e.g. an org its token lacks), or null; such lines are rejected with field `org` and dead-lettered. */
  guard?: (event: Pick<ContinuityEvent, 'org'>) => string | null;
}

export interface IngestResult {
  /** Events durably appended (a duplicate id counts here; the processors drop it). */
  accepted: number;
  rejected: Rejection[];
  /** Ids of the accepted events, in input order. */
  ids: string[];
}

export interface Ingestor {
  /** Validate and append; resolves once both logs have the batch durably. */
  ingestLines(lines: InputLine[], origin: string, options?: IngestLinesOptions): Promise<IngestResult>;
  /** Append events already validated (simulator, re-drive). */
  ingestEvents(events: ContinuityEvent[]): Promise<IngestResult>;
}

export function createIngestor(options: { log: EventLog; deadLetters: EventLog; catalog: Catalog; validation?: ValidationPool }): Ingestor {
  const { log, deadLetters, catalog } = options;
  // Parsing and checking happen off this thread when a pool is given.
  const validation = options.validation ?? inlineValidation(catalog);
  let appendTail: Promise<void> = Promise.resolve();

  async function appendBoth(records: AppendRecord[], letters: ReturnType<typeof newDeadLetter>[]) {
    try {
      await Promise.all([
        records.length > 0 ? log.append(records) : undefined,
        letters.length > 0 ? deadLetters.append(letters.map(deadLetterRecord)) : undefined,
      ]);
    } catch (error) {
      if (error instanceof ContinuityError) throw error;
      throw new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `the event log did not accept the batch: ${(error as Error).message}`, { cause: error });
    }
  }

  return {
    async ingestLines(lines, origin, { guard } = {}) {
      const letters: ReturnType<typeof newDeadLetter>[] = [];
      const rejected: Rejection[] = [];
      const reject = (line: number, errors: FieldError[], raw: string, forbidden?: boolean) => {
        const letter = newDeadLetter({ origin, line, errors, raw });
        letters.push(letter);
        rejected.push({ line, errors, reason: letter.reason, deadLetterId: letter.id, ...(forbidden ? { forbidden } : {}) });
      };
      const texts: string[] = [];
      const numbers: number[] = [];
      for (const { line, text, invalid } of lines) {
        if (invalid) reject(line, [invalid], text);
        else if (text.trim() !== '') {
          texts.push(text);
          numbers.push(line);
        }
      }
      // Chunks may be validated concurrently; they reach the log in call order,
      // so events of one key keep the order they were submitted in.
      const previous = appendTail;
      let release!: () => void;
      appendTail = new Promise<void>((r) => (release = r));
      let validated;
      try {
        validated = await validation.validate(texts, numbers);
      } catch (error) {
        await previous;
        release();
        throw error;
      }
      for (const r of validated.rejected) reject(r.line, r.errors, r.raw);
      const records: AppendRecord[] = [];
      const ids: string[] = [];
      // Asked once per distinct org, not once per event.
      const denials = guard ? validated.keyOrgs.map((org) => guard({ org })) : null;
      for (let i = 0; i < validated.ids.length; i++) {
        const k = validated.keyOf[i];
        const denied = denials?.[k] ?? null;
        if (denied !== null) reject(numbers[validated.indexes[i]], [{ field: 'org', reason: denied }], texts[validated.indexes[i]], true);
        else {
          records.push({ key: validated.keys[k], value: canonicalAt(validated, i), headers: VALIDATED });
          ids.push(validated.ids[i]);
        }
      }
      // Reported, and dead-lettered, in the order of the input.
      rejected.sort((a, b) => a.line - b.line);
      const order = new Map(rejected.map((r, i) => [r.deadLetterId, i]));
      letters.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      try {
        await previous;
        await appendBoth(records, letters);
      } finally {
        release();
      }
      ingestEventsAccepted.inc({}, records.length);
      ingestEventsRejected.inc({}, rejected.length);
      return { accepted: records.length, rejected, ids };
    },

    async ingestEvents(input) {
      const events: ContinuityEvent[] = [];
      const rejected: Rejection[] = [];
      const letters: ReturnType<typeof newDeadLetter>[] = [];
      input.forEach((candidate, i) => {
        const result = validateEvent(candidate, catalog);
        if (result.ok) events.push(result.event);
        else {
          const letter = newDeadLetter({ origin: 'internal', line: i + 1, errors: result.errors, raw: JSON.stringify(candidate) });
          letters.push(letter);
          rejected.push({ line: i + 1, errors: result.errors, reason: letter.reason, deadLetterId: letter.id });
        }
      });
      await appendBoth(
        events.map((e) => ({ key: eventKey(e), value: serializeEvent(e), headers: VALIDATED })),
        letters,
      );
      ingestEventsAccepted.inc({}, events.length);
      ingestEventsRejected.inc({}, rejected.length);
      return { accepted: events.length, rejected, ids: events.map((e) => e.id) };
    },
  };
}
