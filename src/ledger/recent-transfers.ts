/**
 * A capped FIFO map from transfer id to value: the memory backend's idempotency window. Once
 * `capacity` ids have been remembered, each new one evicts the oldest, so memory stays bounded
 * whatever the traffic. A ring of ids gives O(1) eviction without allocating an iterator.
 */
export class RecentTransfers<V> {
  readonly capacity: number;
  readonly #byId = new Map<bigint, V>();
  readonly #ring: bigint[] = [];
  #oldest = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: bigint): V | undefined {
    return this.#byId.get(id);
  }

  /** The caller guarantees `id` is not currently remembered (ids are checked before reuse). */
  add(id: bigint, value: V): void {
    this.#byId.set(id, value);
    if (this.#ring.length < this.capacity) {
      this.#ring.push(id);
      return;
    }
    this.#byId.delete(this.#ring[this.#oldest]!);
    this.#ring[this.#oldest] = id;
    this.#oldest = this.#oldest + 1 === this.capacity ? 0 : this.#oldest + 1;
  }

  clear(): void {
    this.#byId.clear();
    this.#ring.length = 0;
    this.#oldest = 0;
  }
}
