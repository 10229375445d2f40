/**
 * The queues that keep one task at a time where two would race: a peer's outgoing side (paying,
 * its channel to the peer, closing it), a peer's incoming side (its claims, its channel to us),
 * and a channel's redemptions (one redeem transaction per channel at a time).
 */

/** Runs tasks one after another per key, in call order; a failure never breaks a queue. */
export class SerialQueues {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Paying the peer: claims, top-ups, our channel's watch and close. */
  outgoing<T>(peerId: string, task: () => Promise<T>): Promise<T> {
    return this.#serial(peerId, task);
  }

  /** Being paid by the peer: its claims, co-signing its close, its channel's watch and close. */
  incoming<T>(peerId: string, task: () => Promise<T>): Promise<T> {
    return this.#serial(`in:${peerId}`, task);
  }

  /** Redeeming on the channel. */
  redemption<T>(channelId: string, task: () => Promise<T>): Promise<T> {
    return this.#serial(`redeem:${channelId}`, task);
  }

  /** Runs `task` after the previous task of `key`; the chain never breaks on a failure. */
  #serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }
}
