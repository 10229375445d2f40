// The WS feed: buffers events and hands them over in batches (at most one per `flushMs`), so
// thousands of events a second cost a few renders, not thousands. Reconnects with jittered
// exponential backoff when the socket drops; the page never reloads.

export const FEED_LIMITS = Object.freeze({
  flushMs: 250,
  /** Events held between two flushes; beyond it the oldest go (counted in `dropped`). */
  maxPending: 10_000,
  backoffMinMs: 500,
  backoffMaxMs: 15_000,
});

export class LiveFeed {
  #url;
  #limits;
  #socket = null;
  #pending = [];
  #flushTimer = null;
  #retryTimer = null;
  #attempt = 0;
  #stopped = false;
  #listeners = { batch: new Set(), status: new Set(), reconnected: new Set() };
  #everOpen = false;
  status = { state: 'connecting', retryAtMs: null, dropped: 0, received: 0 };

  constructor(url, limits = FEED_LIMITS) {
    this.#url = url;
    this.#limits = limits;
  }

  /** `what`: 'batch' (an array of events), 'status', 'reconnected'. Returns the unsubscribe. */
  on(what, listener) {
    const set = this.#listeners[what];
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit(what, value) {
    for (const listener of this.#listeners[what]) listener(value);
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#flushTimer);
    this.#socket?.close();
  }

  #connect() {
    this.#setStatus({ state: this.#everOpen ? 'reconnecting' : 'connecting', retryAtMs: null });
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.onopen = () => {
      const wasOpen = this.#everOpen;
      this.#attempt = 0;
      this.#everOpen = true;
      this.#setStatus({ state: 'live', retryAtMs: null });
      if (wasOpen) this.#emit('reconnected');
    };
    socket.onmessage = (message) => this.#receive(message.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (!this.#stopped) this.#scheduleRetry();
    };
  }

  #scheduleRetry() {
    const { backoffMinMs, backoffMaxMs } = this.#limits;
    const ceilingMs = Math.min(backoffMaxMs, backoffMinMs * 2 ** this.#attempt);
    const delayMs = Math.round(ceilingMs / 2 + (Math.random() * ceilingMs) / 2);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#setStatus({ state: 'reconnecting', retryAtMs: Date.now() + delayMs });
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #receive(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
    this.status.received += 1;
    this.#pending.push(event);
    const max = this.#limits.maxPending;
    if (this.#pending.length >= 2 * max) {
      // Trim in one splice per `max` events: shifting one at a time would be quadratic.
      this.#pending.splice(0, this.#pending.length - max);
      this.status.dropped += max;
    }
    if (this.#flushTimer === null) this.#flushTimer = setTimeout(() => this.#flush(), this.#limits.flushMs);
  }

  #flush() {
    this.#flushTimer = null;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) this.#emit('batch', batch);
  }

  #setStatus(change) {
    this.status = { ...this.status, ...change };
    this.#emit('status', this.status);
  }
}
