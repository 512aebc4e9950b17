/** A bounded async queue for tests: producers push, consumers await `next(timeoutMs)`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((v: IteratorResult<T>) => void)[] = [];
  private done = false;
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  push(item: T): void {
    const w = this.waiters.shift();
    if (w) return w({ value: item, done: false });
    if (this.items.length >= this.limit) throw new Error(`AsyncQueue over its limit of ${this.limit}`);
    this.items.push(item);
  }

  end(): void {
    this.done = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined as T, done: true });
  }

  /** The next item; rejects after `timeoutMs` or when the queue ended. */
  next(timeoutMs = 5000): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    if (this.done) return Promise.reject(new Error("queue ended"));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no item within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (r: IteratorResult<T>) => {
        clearTimeout(t);
        if (r.done) reject(new Error("queue ended"));
        else resolve(r.value);
      };
      this.waiters.push(w);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.done) return Promise.resolve({ value: undefined as T, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
    };
  }
}
