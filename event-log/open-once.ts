/**
 * A log's files or connection, opened by whichever operation needs them first
 * and shared by all. A failed open is not kept: the next operation tries again.
 * After `close()` nothing opens any more.
 */
export class OpenOnce<T> {
  private opening: Promise<T> | null = null;
  private closed = false;

  constructor(
    private readonly open: () => Promise<T>,
    private readonly name: () => string,
  ) {}

  get(): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.name()} is closed`));
    if (!this.opening) {
      this.opening = this.open();
      this.opening.catch(() => (this.opening = null));
    }
    return this.opening;
  }

  /** Stops further opens; resolves with what an open begun before gave, or null. */
  close(): Promise<T | null> {
    this.closed = true;
    return this.opening ? this.opening.catch(() => null) : Promise.resolve(null);
  }
}
