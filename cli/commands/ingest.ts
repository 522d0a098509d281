import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { FrozenConfig } from '../../config/config.ts';
import type { IngestResult, InputLine, Rejection } from '../../ingest/accept.ts';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { progressReporter, rate } from '../progress.ts';

const CHUNK_LINES = 10_000;

export interface IngestSummary {
  lines: number;
  accepted: number;
  rejected: Rejection[];
  via: 'service' | 'data-dir';
}

async function* chunks(input: NodeJS.ReadableStream): AsyncGenerator<InputLine[]> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let chunk: InputLine[] = [];
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() === '') continue;
    chunk.push({ line: n, text });
    if (chunk.length >= CHUNK_LINES) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function postChunk(url: string, chunk: InputLine[], origin: string): Promise<IngestResult> {
  // Lines go as they were, with blank gaps kept so the service numbers them like the file does.
  let body = '';
  let expected = chunk[0].line;
  for (const l of chunk) {
    while (expected < l.line) {
      body += '\n';
      expected++;
    }
    body += l.text + '\n';
    expected++;
  }
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'x-continuity-first-line': String(chunk[0].line), 'x-continuity-origin': origin },
    body,
  });
  const payload = (await response.json()) as {
    accepted?: number;
    rejected?: { line: number; reason: string; errors: Rejection['errors']; dead_letter_id: string }[];
    message?: string;
  };
  if (response.status !== 200 && response.status !== 422) throw new Error(`service answered ${response.status}: ${payload.message ?? ''}`);
  return {
    accepted: payload.accepted ?? 0,
    rejected: (payload.rejected ?? []).map((r) => ({ line: r.line, reason: r.reason, errors: r.errors, deadLetterId: r.dead_letter_id })),
    ids: [],
  };
}

export async function ingestFile(config: FrozenConfig, file: string): Promise<IngestSummary> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const origin = file === '-' ? 'stdin' : `file:${basename(file)}`;
  const service = runningService(config.dataDir);
  const pipeline = service ? null : await openPipeline(config, { purpose: `continuity ingest ${file}`, warehouse: false });
  const progress = progressReporter('ingest');
  const summary: IngestSummary = { lines: 0, accepted: 0, rejected: [], via: service ? 'service' : 'data-dir' };
  try {
    for await (const chunk of chunks(input)) {
      const result = service ? await postChunk(service.url, chunk, origin) : await pipeline!.ingestor.ingestLines(chunk, origin);
      summary.lines += chunk.length;
      summary.accepted += result.accepted;
      summary.rejected.push(...result.rejected);
      progress.update(`${summary.lines.toLocaleString('en-US')} lines, ${summary.accepted.toLocaleString('en-US')} accepted, ${summary.rejected.length} rejected, ${rate(summary.lines, progress.elapsedMs())} lines/s`);
    }
  } finally {
    progress.done();
    await pipeline?.close();
  }
  return summary;
}
