/**
 * When to settle. Nothing here runs on the packet path: the pipeline only tells
 * `fulfilled(peerId)`, which marks the peer for a check a few milliseconds later. The polling
 * interval settles whatever is owed to every peer with an `evmAddress`; a link coming up sends
 * the peer's unacknowledged claim again.
 */
import type { OutgoingChannel } from '../channels/channel-store.js';
import type { SettlementContext } from './context.js';
import type { SettleReason, UnifiedSettlementExecutor } from './executor.js';

const MIN_SETTLE_BACKOFF_MS = 1_000;
const MAX_SETTLE_BACKOFF_MS = 60_000;

/**
 * Watches balances for settlement triggers (threshold after Fulfills, polling, link-up) and asks
 * the executor to settle: one automatic settlement queued per peer, a per-peer backoff after a
 * failure.
 */
export class SettlementMonitor {
  readonly #ctx: SettlementContext;
  readonly #executor: UnifiedSettlementExecutor;
  readonly #dirty = new Set<string>();
  #checkTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  /** Peers with an automatic settlement queued and not started yet. */
  readonly #waiting = new Set<string>();
  /** Peers whose last settlement failed: threshold checks wait until `untilMs`. */
  readonly #backoff = new Map<string, { delayMs: number; untilMs: number }>();

  constructor(ctx: SettlementContext, executor: UnifiedSettlementExecutor) {
    this.#ctx = ctx;
    this.#executor = executor;
  }

  /** Starts the polling interval. */
  start(): void {
    this.#pollTimer = setInterval(() => this.#poll(), this.#ctx.spec.pollingIntervalMs);
  }

  /** Clears the polling interval and a pending threshold check. */
  stop(): void {
    clearInterval(this.#pollTimer);
    clearTimeout(this.#checkTimer);
  }

  /** Called by the pipeline after a Fulfill to `peerId` was booked: cheap, never blocks. */
  fulfilled(peerId: string): void {
    this.#dirty.add(peerId);
    if (this.#checkTimer !== undefined || this.#ctx.stopped) return;
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      const peers = [...this.#dirty];
      this.#dirty.clear();
      for (const id of peers) this.#ctx.track(this.settle(id, 'threshold'));
    }, this.#ctx.options.checkDelayMs ?? 10);
  }

  /** A link came up: send the peer's unacknowledged claim again. */
  linkUp(peerId: string): void {
    const channel = this.#ctx.currentOutgoing(peerId);
    if (channel !== undefined && channel.acknowledgedNonce < channel.nonce)
      this.#ctx.track(this.#ctx.serial(peerId, () => this.#executor.sendClaim(channel)));
  }

  #poll(): void {
    for (const peer of this.#ctx.options.peers()) {
      if (peer.evmAddress === undefined) continue;
      this.#ctx.track(this.settle(peer.id, 'poll'));
    }
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so. Resolves with
   * the claim sent, or undefined when nothing was due. Errors are reported; only a `manual`
   * settlement also rejects with them.
   */
  settle(peerId: string, reason: SettleReason): Promise<OutgoingChannel | undefined> {
    // After a failure, Fulfills do not trigger attempts until the backoff is over (a chain that
    // is down would otherwise be asked once per check); polls and manual calls always try.
    const backoff = this.#backoff.get(peerId);
    if (reason === 'threshold' && backoff !== undefined && Date.now() < backoff.untilMs) {
      return Promise.resolve(undefined);
    }
    // One automatic settlement waiting per peer: it reads the balance when it runs, so a second
    // one queued behind it would find nothing more to do (Fulfills keep coming during a claim).
    if (reason !== 'manual') {
      if (this.#waiting.has(peerId)) return Promise.resolve(undefined);
      this.#waiting.add(peerId);
    }
    return this.#ctx.serial(peerId, () => {
      if (reason !== 'manual') this.#waiting.delete(peerId);
      return this.#executor.settleNow(peerId, reason).then(
        (channel) => {
          this.#backoff.delete(peerId);
          return channel;
        },
        (err: unknown) => {
          const delayMs = Math.min(
            MAX_SETTLE_BACKOFF_MS,
            (backoff?.delayMs ?? MIN_SETTLE_BACKOFF_MS / 2) * 2,
          );
          this.#backoff.set(peerId, { delayMs, untilMs: Date.now() + delayMs });
          this.#ctx.report('settle', err, peerId);
          // An operator's call learns why; automatic ones are reported and retried later.
          if (reason === 'manual') throw err;
          return undefined;
        },
      );
    });
  }
}
