/**
 * The memory backend's index of transfer ids: every pending hold, plus the last `capacity`
 * finished transfers (the idempotency window). Once `capacity` ids have finished, each newly
 * finished one evicts the oldest finished id, so memory stays bounded whatever the traffic;
 * pending entries are never evicted (the caller bounds them). One map for both: a new id costs
 * one lookup, and a hold that finishes stays in place (moving it between two maps cost a set and
 * a delete per transfer, and rebuilt the small map's table every few hundred transfers).
 * A ring of ids gives O(1) eviction without allocating an iterator.
 */
export class RecentTransfers<V> {
  readonly capacity: number;
  readonly #byId = new Map<bigint, V>();
  readonly #ring: bigint[] = [];
  #oldest = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Finished ids remembered (pending entries not counted). */
  get size(): number {
    return this.#ring.length;
  }

  get(id: bigint): V | undefined {
    return this.#byId.get(id);
  }

  /** A pending entry: found by `get`, never evicted until `finish`. The caller checked `id` is new. */
  addPending(id: bigint, value: V): void {
    this.#byId.set(id, value);
  }

  /** A pending entry finished: it joins the window. */
  finish(id: bigint): void {
    this.#remember(id);
  }

  /** A finished entry at once. The caller guarantees `id` is not currently remembered (ids are checked before reuse). */
  add(id: bigint, value: V): void {
    this.#byId.set(id, value);
    this.#remember(id);
  }

  /** The finished entries, oldest first. */
  finished(): V[] {
    const out: V[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const at = this.#oldest + i;
      out.push(this.#byId.get(this.#ring[at < n ? at : at - n]!)!);
    }
    return out;
  }

  clear(): void {
    this.#byId.clear();
    this.#ring.length = 0;
    this.#oldest = 0;
  }

  #remember(id: bigint): void {
    if (this.#ring.length < this.capacity) {
      this.#ring.push(id);
      return;
    }
    this.#byId.delete(this.#ring[this.#oldest]!);
    this.#ring[this.#oldest] = id;
    this.#oldest = this.#oldest + 1 === this.capacity ? 0 : this.#oldest + 1;
  }
}
