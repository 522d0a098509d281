/**
 * chDB (3.4) keeps the output a query had produced when it failed part-way
 * (a result over `max_result_rows`, a `throwIf`, any error after the first
 * block) and hands it to the NEXT query of the process as that query's result,
 * even one started concurrently. An analyst's refused query would then become
 * the processors' id lookup, or another analyst's figures.
 *
 * The guard runs the connection's queries one at a time and, after a failure,
 * a throwaway `SELECT 1` that takes the leftover before anything else runs.
 */

const GUARDED = new Set(['query', 'exec', 'command', 'insert']);

interface Pingable {
  ping(params: never): Promise<unknown>;
}

export function guardChdbConnection<T extends object & Pingable>(connection: T): T {
  let tail: Promise<unknown> = Promise.resolve();
  return new Proxy(connection, {
    get(target, prop) {
      // The connection keeps private fields: its methods must run on the real object.
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !GUARDED.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        const run = tail.then(async () => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            await target.ping({ select: true } as never).catch(() => {});
            throw error;
          }
        });
        tail = run.catch(() => {});
        return run;
      };
    },
  });
}
