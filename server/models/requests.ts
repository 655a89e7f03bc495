// Requests in progress, by the generation they arrived in. A hot swap or an unload retires a
// model's runtime while requests that looked it up may still be on their way to its scheduler
// (after an await of tokenization, say): the retiring runtime stays up until every request that
// was in progress when it retired has ended, so such a request runs on it instead of failing.
export class RequestsInProgress {
  private generation = 0;
  /** Requests in progress per generation of arrival. */
  private readonly open = new Map<number, number>();
  private waiters: { generation: number; resolve: () => void }[] = [];

  /** Counts one request until its release (called once; later calls do nothing). */
  enter(): () => void {
    const g = this.generation;
    this.open.set(g, (this.open.get(g) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.open.get(g)! - 1;
      if (left > 0) this.open.set(g, left);
      else {
        this.open.delete(g);
        this.wake();
      }
    };
  }

  /** Resolves once every request that entered before this call has been released. */
  settled(): Promise<void> {
    const generation = this.generation++;
    if (!this.anyFrom(generation)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ generation, resolve }));
  }

  private anyFrom(generation: number): boolean {
    for (const g of this.open.keys()) if (g <= generation) return true;
    return false;
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.anyFrom(w.generation)) return true;
      w.resolve();
      return false;
    });
  }
}
