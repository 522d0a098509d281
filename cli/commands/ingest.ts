import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrozenConfig } from '../../config/config.ts';
import type { IngestResult, InputLine, Rejection } from '../../ingest/accept.ts';
import { readLineBlocks, readLines } from '../../ingest/lines.ts';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { progressReporter, rate } from '../progress.ts';
import { authHeaders, tokenFor } from '../service-auth.ts';

const CHUNK_LINES = 10_000;
// Well under the service's default body limit; a smaller limit is met by splitting on 413.
const CHUNK_BYTES = 4 * 1024 * 1024;

type Line = InputLine & { bytes: Buffer };

export interface IngestSummary {
  lines: number;
  accepted: number;
  rejected: Rejection[];
  via: 'service' | 'data-dir';
}

/** Lines as bytes, so a line that is not UTF-8 reaches the service as it is (and is refused there, not silently repaired). */
async function* chunks(input: NodeJS.ReadableStream): AsyncGenerator<Line[]> {
  let chunk: Line[] = [];
  let bytes = 0;
  for await (const line of readLines(input as AsyncIterable<Buffer>)) {
    chunk.push(line);
    bytes += line.bytes.length + 1;
    if (chunk.length >= CHUNK_LINES || bytes >= CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

interface ServiceAnswer {
  accepted?: number;
  rejected?: { line: number; reason: string; errors: Rejection['errors']; dead_letter_id: string }[];
  code?: string;
  message?: string;
}

async function postChunk(url: string, chunk: Line[], origin: string, token: string | undefined): Promise<IngestResult> {
  // Lines go as they were, with blank gaps kept so the service numbers them like the file does.
  const parts: Buffer[] = [];
  let expected = chunk[0].line;
  for (const l of chunk) {
    if (expected < l.line) parts.push(Buffer.alloc(l.line - expected, 0x0a));
    // A line too long to be an event goes only as far as the service needs to see that.
    parts.push(l.invalid ? l.bytes.subarray(0, 1024 * 1024 + 1) : l.bytes, NEWLINE);
    expected = l.line + 1;
  }
  const body = Buffer.concat(parts);
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'x-continuity-first-line': String(chunk[0].line), 'x-continuity-origin': origin, ...authHeaders(token) },
        body,
      });
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200 * attempt);
      continue;
    }
    const payload = (await response.json().catch(() => ({}))) as ServiceAnswer;
    if (response.status === 200 || response.status === 422 || response.status === 403) {
      if (response.status === 403 && payload.rejected === undefined) throw Object.assign(new Error(payload.message ?? 'forbidden'), { code: payload.code });
      return {
        accepted: payload.accepted ?? 0,
        rejected: (payload.rejected ?? []).map((r) => ({ line: r.line, reason: r.reason, errors: r.errors, deadLetterId: r.dead_letter_id })),
        ids: [],
      };
    }
    // Too big for this service's limits: halve until it fits. A single line is refused as it is.
    if (response.status === 413 && chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      const [a, b] = [await postChunk(url, chunk.slice(0, half), origin, token), await postChunk(url, chunk.slice(half), origin, token)];
      return { accepted: a.accepted + b.accepted, rejected: [...a.rejected, ...b.rejected], ids: [] };
    }
    // Rate-limited or the log briefly unavailable: the same request is safe to repeat (ids dedupe).
    if ((response.status === 429 || response.status === 503) && attempt < 30) {
      const retryAfter = Number(response.headers.get('retry-after'));
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 500);
      continue;
    }
    throw Object.assign(new Error(`service answered ${response.status}: ${payload.message ?? ''}`), { code: payload.code });
  }
}

const NEWLINE = Buffer.from('\n');

export async function ingestFile(config: FrozenConfig, file: string, options: { token?: string } = {}): Promise<IngestSummary> {
  const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1024 * 1024 });
  const origin = file === '-' ? 'stdin' : `file:${basename(file)}`;
  const service = runningService(config.dataDir);
  const token = service ? tokenFor(service, options) : undefined;
  const pipeline = service ? null : await openPipeline(config, { purpose: `continuity ingest ${file}`, warehouse: false });
  const progress = progressReporter('ingest');
  const summary: IngestSummary = { lines: 0, accepted: 0, rejected: [], via: service ? 'service' : 'data-dir' };
  try {
    // A few chunks in flight: validation of the next overlaps the append of the last.
    const inFlight: Promise<void>[] = [];
    const done = (lines: number, result: Pick<IngestResult, 'accepted' | 'rejected'>) => {
      summary.lines += lines;
      summary.accepted += result.accepted;
      summary.rejected.push(...result.rejected);
      progress.update(`${summary.lines.toLocaleString('en-US')} lines, ${summary.accepted.toLocaleString('en-US')} accepted, ${summary.rejected.length} rejected, ${rate(summary.lines, progress.elapsedMs())} lines/s`);
    };
    if (service) {
      for await (const chunk of chunks(input)) {
        // Through the service one request at a time, so the file's order is kept.
        await postChunk(service.url, chunk, origin, token).then((result) => done(chunk.length, result));
      }
    } else {
      // Straight to the data directory, lines go to the validation workers as the bytes they were read as.
      for await (const block of readLineBlocks(input as AsyncIterable<Buffer>)) {
        const ingestor = pipeline!.ingestor;
        inFlight.push(
          block.bytes
            ? ingestor.ingestBlock(block.bytes, block.firstLine, origin).then((result) => done(result.lines, result))
            : ingestor.ingestLines([block.line], origin).then((result) => done(1, result)),
        );
        if (inFlight.length >= 4) await inFlight.shift();
      }
    }
    await Promise.all(inFlight);
    summary.rejected.sort((a, b) => a.line - b.line);
  } finally {
    progress.done();
    await pipeline?.close();
  }
  return summary;
}
