import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Ingestor, InputLine } from '../ingest/accept.ts';

/** Feeds a file to an ingestor in chunks, as `continuity ingest` does; returns the accepted count. */
export async function ingestLines(ingestor: Ingestor, file: string, chunkLines = 10_000): Promise<number> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let chunk: InputLine[] = [];
  let n = 0;
  let accepted = 0;
  for await (const text of rl) {
    chunk.push({ line: ++n, text });
    if (chunk.length >= chunkLines) {
      accepted += (await ingestor.ingestLines(chunk, 'bench')).accepted;
      chunk = [];
    }
  }
  if (chunk.length) accepted += (await ingestor.ingestLines(chunk, 'bench')).accepted;
  return accepted;
}
