/**
 * Validation of a chunk of input lines into what the log stores: the canonical
 * JSON of each valid event (one string, newline-separated, so it crosses a
 * thread boundary as one copy) and every rejection with its line and reason.
 */
import { eventKey, parseEventLine, serializeEvent, type Catalog, type FieldError } from '../../schemas/index.ts';

export interface LineRejection {
  line: number;
  errors: FieldError[];
  raw: string;
}

export interface ValidatedLines {
  /** Canonical JSON of the valid events, joined by newlines (JSON never holds a raw one). */
  canonical: string;
  keys: string[];
  ids: string[];
  orgs: string[];
  /** Index in the input of each valid event. */
  indexes: number[];
  rejected: LineRejection[];
}

export function validateLines(texts: string[], lineNumbers: number[], catalog: Catalog): ValidatedLines {
  const canonical: string[] = [];
  const keys: string[] = [];
  const ids: string[] = [];
  const orgs: string[] = [];
  const indexes: number[] = [];
  const rejected: LineRejection[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    if (text.trim() === '') continue;
    const result = parseEventLine(text, catalog);
    if (result.ok) {
      canonical.push(serializeEvent(result.event));
      keys.push(eventKey(result.event));
      ids.push(result.event.id);
      orgs.push(result.event.org);
      indexes.push(i);
    } else {
      rejected.push({ line: lineNumbers[i], errors: result.errors, raw: text });
    }
  }
  return { canonical: canonical.join('\n'), keys, ids, orgs, indexes, rejected };
}
