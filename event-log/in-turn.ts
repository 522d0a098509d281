/**
 * Steps run one at a time, each once the one before has settled, in the
 * order they were asked for. A failed step fails its own caller only; the
 * next step runs regardless.
 */
export function inTurn(): <T>(step: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (step) => {
    const run = tail.then(step);
    tail = run.catch(() => {});
    return run;
  };
}
