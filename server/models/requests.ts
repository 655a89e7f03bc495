// Model requests in progress, per model and by the generation they arrived in. A hot swap or an
// unload retires a model's runtime while requests that looked it up may still be on their way to
// its scheduler (after an await of tokenization, say): the retiring runtime stays up until every
// request for that model that was in progress when it retired has ended, so such a request runs
// on it instead of failing. Requests for other models (a long stream, say) never hold it.
export class RequestsInProgress {
  private generation = 0;
  /** Requests in progress per model, per generation of arrival. */
  private readonly open = new Map<string, Map<number, number>>();
  private waiters: { model: string; generation: number; resolve: () => void }[] = [];

  /** Counts one request for `model` until its release (called once; later calls do nothing). */
  enter(model: string): () => void {
    const g = this.generation;
    let byGeneration = this.open.get(model);
    if (!byGeneration) this.open.set(model, (byGeneration = new Map<number, number>()));
    byGeneration.set(g, (byGeneration.get(g) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = byGeneration.get(g)! - 1;
      if (left > 0) return void byGeneration.set(g, left);
      byGeneration.delete(g);
      if (byGeneration.size === 0 && this.open.get(model) === byGeneration) this.open.delete(model);
      this.wake();
    };
  }

  /** Resolves once every request for `model` that entered before this call has been released. */
  settled(model: string): Promise<void> {
    const generation = this.generation++;
    if (!this.anyFrom(model, generation)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ model, generation, resolve }));
  }

  private anyFrom(model: string, generation: number): boolean {
    for (const g of this.open.get(model)?.keys() ?? []) if (g <= generation) return true;
    return false;
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.anyFrom(w.model, w.generation)) return true;
      w.resolve();
      return false;
    });
  }
}
