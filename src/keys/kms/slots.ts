/** A counting semaphore with a bounded wait queue: at most `max` holders, at most `maxQueued` waiting. */
export class Slots {
  readonly #max: number;
  readonly #maxQueued: number;
  readonly #waiting: (() => void)[] = [];
  #held = 0;

  constructor(max: number, maxQueued: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('Slots: max must be a positive integer');
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  get held(): number {
    return this.#held;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Resolves once a slot is held; false (without waiting) when the queue is full. */
  async acquire(): Promise<boolean> {
    if (this.#held < this.#max) {
      this.#held++;
      return true;
    }
    if (this.#waiting.length >= this.#maxQueued) return false;
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return true;
  }

  /** Hands the slot to the next waiter, if any, else frees it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#held--;
  }
}
