/**
 * One timer for the earliest wake-up asked for: the watcher asks to run again when a challenge
 * period ends, rather than up to `watchIntervalMs` later. A time further off than `horizonMs` is
 * left to the regular pass; at most one timer is pending; `stop()` clears it.
 */
export class WakeTimer {
  readonly #horizonMs: number;
  readonly #onWake: () => void;
  #timer: NodeJS.Timeout | undefined;
  #atMs = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(horizonMs: number, onWake: () => void) {
    this.#horizonMs = horizonMs;
    this.#onWake = onWake;
  }

  /** Wakes at `atMs` (wall clock) unless an earlier wake-up is already pending. */
  at(atMs: number): void {
    if (this.#stopped || atMs >= this.#atMs) return;
    const delayMs = Math.max(0, atMs - Date.now());
    if (delayMs > this.#horizonMs) return;
    clearTimeout(this.#timer);
    this.#atMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#atMs = Number.POSITIVE_INFINITY;
      this.#onWake();
    }, delayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
