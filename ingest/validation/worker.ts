import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog } from '../../schemas/index.ts';
import { validateBlock, validateLines, type ValidatedBlock, type ValidatedLines } from './validate-lines.ts';

const catalog = loadCatalog({ extraOrgsFile: (workerData as { extraOrgsFile?: string }).extraOrgsFile });

/** The buffer's memory, alone in its ArrayBuffer so it can be transferred (a small Buffer shares Node's pool). */
function ownMemory(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = Buffer.from(new ArrayBuffer(bytes.length));
  bytes.copy(copy);
  return copy;
}

type Message = { id: number; joined: string; lengths: Uint32Array; lines: Uint32Array | number[] } | { id: number; block: Uint8Array; firstLine: number };

parentPort!.on('message', (message: Message) => {
  try {
    let result: ValidatedLines | ValidatedBlock;
    if ('block' in message) {
      // Raw bytes, transferred: the lines are split and decoded here, not on the main thread.
      const { block } = message;
      result = validateBlock(Buffer.from(block.buffer, block.byteOffset, block.byteLength), message.firstLine, catalog);
    } else {
      // One string and its lengths cross the thread boundary as one copy; lines are cut back out here.
      const { joined, lengths } = message;
      const texts = new Array<string>(lengths.length);
      for (let i = 0, p = 0; i < lengths.length; p += lengths[i], i++) texts[i] = joined.slice(p, p + lengths[i]);
      result = validateLines(texts, message.lines, catalog);
    }
    result.canonical = ownMemory(result.canonical);
    const transfer = [result.canonical.buffer, result.offsets.buffer, result.keyOf.buffer];
    if ('indexes' in result) transfer.push(result.indexes.buffer);
    parentPort!.postMessage({ id: message.id, result }, transfer as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
