/**
 * Worker threads that validate input lines, so ingest uses every core: the main
 * thread reads input and appends to the log while the workers parse, check and
 * serialise. Chunks are handed out round-robin; results come back in order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Catalog } from '../../schemas/index.ts';
import { validateBlock, validateLines, type ValidatedBlock, type ValidatedLines } from './validate-lines.ts';

export interface ValidationPoolOptions {
  /** Worker threads. Default: the machine's cores (at least 1). */
  size?: number;
  /** The operator's extra org file, loaded by each worker as the main thread does. */
  extraOrgsFile?: string;
}

export interface ValidationPool {
  validate(texts: string[], lines: number[]): Promise<ValidatedLines>;
  /**
   * A block of raw lines (see `readLineBlocks`), numbered from `firstLine`. The
   * block's memory is handed over: a worker gets it by transfer, and the
   * caller must not use it afterwards.
   */
  validateBlock(bytes: Buffer, firstLine: number): Promise<ValidatedBlock>;
  /** Worker threads validating; 0 when it all runs on the calling thread. */
  readonly threads: number;
  close(): Promise<void>;
}

/** The same contract on the calling thread: small inputs, tests, a pool of size 0. */
export function inlineValidation(catalog: Catalog): ValidationPool {
  return {
    async validate(texts, lines) {
      return validateLines(texts, lines, catalog);
    },
    async validateBlock(bytes, firstLine) {
      return validateBlock(bytes, firstLine, catalog);
    },
    threads: 0,
    async close() {},
  };
}

export function createValidationPool(options: ValidationPoolOptions = {}): ValidationPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve(v: ValidatedLines | ValidatedBlock): void; reject(e: Error): void }>();
  let nextId = 0;
  let turn = 0;
  let failure: Error | null = null;
  const busy: number[] = [];

  for (let i = 0; i < size; i++) {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { extraOrgsFile: options.extraOrgsFile },
      // A worker's objects live for one block: a small young generation collects
      // them as often, at no measurable cost, and keeps ~50 MB less per worker resident.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.on('message', (m: { id: number; result?: ValidatedLines | ValidatedBlock; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (--busy[i] === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(m.error));
      else {
        // A Buffer arrives as a plain Uint8Array.
        const r = m.result!;
        p.resolve({ ...r, canonical: Buffer.from(r.canonical.buffer, r.canonical.byteOffset, r.canonical.byteLength) });
      }
    });
    worker.on('error', (error) => {
      failure = error;
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
    // Idle workers must not keep a finished command alive; busy ones must.
    worker.unref();
    workers.push(worker);
    busy.push(0);
  }

  /** Sends a request to the next worker in turn; the result comes back in its own message. */
  function request<T extends ValidatedLines | ValidatedBlock>(message: object, transfer: ArrayBuffer[]): Promise<T> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    const index = turn++ % workers.length;
    const worker = workers[index];
    if (busy[index]++ === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: ValidatedLines | ValidatedBlock) => void, reject });
      worker.postMessage({ id, ...message }, transfer);
    });
  }

  return {
    validate(texts, lines) {
      const lengths = new Uint32Array(texts.length);
      for (let i = 0; i < texts.length; i++) lengths[i] = texts[i].length;
      return request<ValidatedLines>({ joined: texts.join(''), lengths, lines: Uint32Array.from(lines) }, [lengths.buffer]);
    },
    validateBlock(bytes, firstLine) {
      // Transferring detaches the whole ArrayBuffer, so the block must have one of its own.
      // (A small Buffer.from would come from Node's shared pool: not its own either.)
      let own = bytes;
      if (!(bytes.buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) {
        own = Buffer.from(new ArrayBuffer(bytes.length));
        own.set(bytes);
      }
      return request<ValidatedBlock>({ block: own, firstLine }, [own.buffer as ArrayBuffer]);
    },
    threads: size,
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

export interface AdaptiveValidationOptions extends Omit<ValidationPoolOptions, 'size'> {
  /** Worker threads, or a function asked when the pool starts (on the first large input); 0 validates everything inline. Default: the machine's cores. */
  size?: number | (() => number);
  /** Fewer lines than this are validated inline. Default 2,000. */
  threshold?: number;
  /** A block of fewer bytes than this is validated inline. Default 512 KiB. */
  blockThreshold?: number;
}

/**
 * Inline for small chunks (an HTTP request of a few events pays no thread
 * hop), a worker pool, started on first need, for large ones.
 */
export function adaptiveValidation(catalog: Catalog, options: AdaptiveValidationOptions = {}): ValidationPool {
  const inline = inlineValidation(catalog);
  const threshold = options.threshold ?? 2000;
  // About `threshold` lines of events of a few hundred bytes.
  const blockThreshold = options.blockThreshold ?? 512 * 1024;
  let pool: ValidationPool | null = null;
  const large = (): ValidationPool => {
    if (pool) return pool;
    const size = typeof options.size === 'function' ? options.size() : options.size;
    pool = size === 0 ? inline : createValidationPool({ ...options, size });
    return pool;
  };
  return {
    validate(texts, lines) {
      if (texts.length < threshold) return inline.validate(texts, lines);
      return large().validate(texts, lines);
    },
    validateBlock(bytes, firstLine) {
      if (bytes.length < blockThreshold) return inline.validateBlock(bytes, firstLine);
      return large().validateBlock(bytes, firstLine);
    },
    get threads() {
      return pool?.threads ?? 0;
    },
    async close() {
      await pool?.close();
      pool = null;
    },
  };
}
