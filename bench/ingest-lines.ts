import { createReadStream } from 'node:fs';
import type { Ingestor } from '../ingest/accept.ts';
import { readLineChunks } from '../ingest/lines.ts';

/** Feeds a file to an ingestor in chunks, as `continuity ingest` does (a few in flight); returns the accepted count. */
export async function ingestLines(ingestor: Ingestor, file: string, chunkLines = 10_000): Promise<number> {
  let accepted = 0;
  const inFlight: Promise<void>[] = [];
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1024 * 1024 }), chunkLines)) {
    inFlight.push(ingestor.ingestLines(chunk, 'bench').then((r) => void (accepted += r.accepted)));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return accepted;
}
