import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog } from '../../schemas/index.ts';
import { validateLines } from './validate-lines.ts';

const catalog = loadCatalog({ extraOrgsFile: (workerData as { extraOrgsFile?: string }).extraOrgsFile });

parentPort!.on('message', (message: { id: number; texts: string[]; lines: number[] }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: validateLines(message.texts, message.lines, catalog) });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
