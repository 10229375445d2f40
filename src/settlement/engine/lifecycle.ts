/**
 * Running or stopped: the background tasks a stop waits for, the stop flag, and the abort signal
 * that ends waits and retries at a stop. Only `stop()` changes them; the parts read `stopped` and
 * `signal` and hand their background work to `track`.
 */

/** The engine's run, from construction to `stop()`. */
export class Lifecycle {
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #tasks = new Set<Promise<unknown>>();

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Aborted at stop, with the reason given to `stop()`. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Keeps `task` until it settles, so a stop waits for it; its failure is not this one's to report. */
  track(task: Promise<unknown>): void {
    const t = task.catch(() => undefined);
    this.#tasks.add(t);
    void t.then(() => this.#tasks.delete(t));
  }

  /**
   * Stops: aborts waits and retries with `reason`, then waits for the tracked tasks (and those
   * they start) at most `waitMs`. Resolves with how many were still pending when the wait ran
   * out, or undefined when all finished.
   */
  async stop(reason: unknown, waitMs: number): Promise<number | undefined> {
    this.#stopped = true;
    this.#abort.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), waitMs);
    });
    const drained = (async () => {
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
      return 'drained' as const;
    })();
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    return outcome === 'timeout' ? this.#tasks.size : undefined;
  }
}
