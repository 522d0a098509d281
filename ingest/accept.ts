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
import { canonicalAt, inlineValidation, type LineRejection, type ValidatedBlock, type ValidatedLines, type ValidationPool } from './validation/index.ts';

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

export interface BlockIngestResult extends Omit<IngestResult, 'ids'> {
  /** Non-blank lines in the block, accepted or not. */
  lines: number;
}

export interface Ingestor {
  /** Validate and append; resolves once both logs have the batch durably. */
  ingestLines(lines: InputLine[], origin: string, options?: IngestLinesOptions): Promise<IngestResult>;
  /**
   * `ingestLines` for a block of raw lines as `readLineBlocks` gives them,
   * numbered from `firstLine`: split, decoded and validated off this thread
   * when the validation has workers, with the same lines, numbers and
   * rejections. The block's memory is handed over (transferred to a worker);
   * do not use it afterwards. No ids come back: a file import has no use for them.
   */
  ingestBlock(bytes: Buffer, firstLine: number, origin: string): Promise<BlockIngestResult>;
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

  /**
   * Takes a chunk's validation (already under way), rejects what it rejected
   * besides `refused`, and appends. Chunks may be validated concurrently; they
   * reach the log in call order, so events of one key keep the order they were
   * submitted in: the place in line is taken here, before anything is awaited.
   */
  async function commit(
    validating: Promise<ValidatedLines | ValidatedBlock>,
    origin: string,
    refused: LineRejection[],
    guarded: { guard: NonNullable<IngestLinesOptions['guard']>; texts: string[]; numbers: number[] } | null,
  ): Promise<IngestResult> {
    const previous = appendTail;
    let release!: () => void;
    appendTail = new Promise<void>((r) => (release = r));
    let validated;
    try {
      validated = await validating;
    } catch (error) {
      await previous;
      release();
      throw error;
    }
    const rejections: (LineRejection & { forbidden?: boolean })[] = refused.length > 0 ? [...refused, ...validated.rejected] : validated.rejected;
    const count = validated.offsets.length - 1;
    const records = new Array<AppendRecord>(count);
    let accepted = 0;
    let ids: string[] = [];
    if (guarded !== null && 'ids' in validated) {
      // Asked once per distinct org, not once per event.
      const denials = validated.keyOrgs.map((org) => guarded.guard({ org }));
      for (let i = 0; i < count; i++) {
        const k = validated.keyOf[i];
        const denied = denials[k];
        const at = validated.indexes[i];
        if (denied !== null) rejections.push({ line: guarded.numbers[at], errors: [{ field: 'org', reason: denied }], raw: guarded.texts[at], forbidden: true });
        else {
          records[accepted++] = { key: validated.keys[k], value: canonicalAt(validated, i), headers: VALIDATED };
          ids.push(validated.ids[i]);
        }
      }
      records.length = accepted;
    } else {
      for (let i = 0; i < count; i++) records[i] = { key: validated.keys[validated.keyOf[i]], value: canonicalAt(validated, i), headers: VALIDATED };
      accepted = count;
      if ('ids' in validated) ids = validated.ids;
    }
    // Reported, and dead-lettered, in the order of the input.
    rejections.sort((a, b) => a.line - b.line);
    const letters = rejections.map((r) => newDeadLetter({ origin, line: r.line, errors: r.errors, raw: r.raw }));
    const rejected: Rejection[] = rejections.map((r, i) => ({
      line: r.line,
      errors: r.errors,
      reason: letters[i].reason,
      deadLetterId: letters[i].id,
      ...(r.forbidden ? { forbidden: true } : {}),
    }));
    try {
      await previous;
      await appendBoth(records, letters);
    } finally {
      release();
    }
    ingestEventsAccepted.inc({}, accepted);
    ingestEventsRejected.inc({}, rejected.length);
    return { accepted, rejected, ids };
  }

  return {
    async ingestLines(lines, origin, { guard } = {}) {
      const refused: LineRejection[] = [];
      const texts: string[] = [];
      const numbers: number[] = [];
      for (const { line, text, invalid } of lines) {
        if (invalid) refused.push({ line, errors: [invalid], raw: text });
        else if (text.trim() !== '') {
          texts.push(text);
          numbers.push(line);
        }
      }
      return commit(validation.validate(texts, numbers), origin, refused, guard ? { guard, texts, numbers } : null);
    },

    async ingestBlock(bytes, firstLine, origin) {
      const validating = validation.validateBlock(bytes, firstLine);
      const { accepted, rejected } = await commit(validating, origin, [], null);
      return { accepted, rejected, lines: (await validating).lines };
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
