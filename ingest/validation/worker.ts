import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog } from '../../schemas/index.ts';
import { validateBlock, validateLines, type ValidatedBlock, type ValidatedLines } from './validate-lines.ts';

const catalog = loadCatalog({ extraOrgsFile: (workerData as { extraOrgsFile?: string }).extraOrgsFile });

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
    // `canonical` has memory of its own (validate-lines allocates it outside Node's shared pool): it can be transferred.
    const transfer = [result.canonical.buffer, result.offsets.buffer, result.keyOf.buffer];
    if ('indexes' in result) transfer.push(result.indexes.buffer);
    parentPort!.postMessage({ id: message.id, result }, transfer as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
