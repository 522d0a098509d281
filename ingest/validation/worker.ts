import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog } from '../../schemas/index.ts';
import { validateLines, type ValidatedLines } from './validate-lines.ts';

const catalog = loadCatalog({ extraOrgsFile: (workerData as { extraOrgsFile?: string }).extraOrgsFile });

/** The buffer's memory, alone in its ArrayBuffer so it can be transferred (a small Buffer shares Node's pool). */
function ownMemory(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = Buffer.from(new ArrayBuffer(bytes.length));
  bytes.copy(copy);
  return copy;
}

parentPort!.on('message', (message: { id: number; joined: string; lengths: Uint32Array; lines: Uint32Array | number[] }) => {
  try {
    // One string and its lengths cross the thread boundary as one copy; lines are cut back out here.
    const { joined, lengths } = message;
    const texts = new Array<string>(lengths.length);
    for (let i = 0, p = 0; i < lengths.length; p += lengths[i], i++) texts[i] = joined.slice(p, p + lengths[i]);
    const result: ValidatedLines = validateLines(texts, message.lines, catalog);
    result.canonical = ownMemory(result.canonical);
    parentPort!.postMessage({ id: message.id, result }, [result.canonical.buffer, result.offsets.buffer, result.keyOf.buffer, result.indexes.buffer] as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
