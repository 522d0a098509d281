import { createReadStream } from 'node:fs';
import type { Ingestor } from '../ingest/accept.ts';
import { readLineBlocks } from '../ingest/lines.ts';

/** Feeds a file to an ingestor in blocks of raw lines, as `continuity ingest` does (a few in flight); returns the accepted count. */
export async function ingestLines(ingestor: Ingestor, file: string): Promise<number> {
  let accepted = 0;
  const inFlight: Promise<void>[] = [];
  for await (const block of readLineBlocks(createReadStream(file, { highWaterMark: 1024 * 1024 }))) {
    const work = block.bytes ? ingestor.ingestBlock(block.bytes, block.firstLine, 'bench') : ingestor.ingestLines([block.line], 'bench');
    inFlight.push(work.then((r) => void (accepted += r.accepted)));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return accepted;
}
