/**
 * When to settle. Nothing here runs on the packet path: the pipeline only tells
 * `fulfilled(peerId)`, which marks the peer for a check a few milliseconds later. The polling
 * interval settles whatever is owed to every peer with an `evmAddress`; a link coming up sends
 * the peer's unacknowledged claim again.
 */
import type { ChannelBook } from '../channels/channel-book.js';
import type { OutgoingChannel } from '../channels/channel-store.js';
import type { SettleReason, UnifiedSettlementExecutor } from './executor.js';
import type { Lifecycle } from './lifecycle.js';
import type { SerialQueues } from './queues.js';
import type { Reporter } from './reporter.js';
import type { SettlementSpec } from './spec.js';
import type { SettlementPeer } from './types.js';

const MIN_SETTLE_BACKOFF_MS = 1_000;
const MAX_SETTLE_BACKOFF_MS = 60_000;

export interface MonitorOptions {
  readonly spec: Pick<SettlementSpec, 'pollingIntervalMs'>;
  /** Delay between a Fulfill and the threshold check it triggers. */
  readonly checkDelayMs: number;
  readonly peers: () => Iterable<SettlementPeer>;
  readonly channels: Pick<ChannelBook, 'currentOutgoing'>;
  readonly queues: Pick<SerialQueues, 'outgoing'>;
  readonly executor: Pick<UnifiedSettlementExecutor, 'settleNow' | 'sendClaim'>;
  readonly reporter: Pick<Reporter, 'report'>;
  readonly life: Pick<Lifecycle, 'stopped' | 'track'>;
}

/**
 * Watches balances for settlement triggers (threshold after Fulfills, polling, link-up) and asks
 * the executor to settle: one automatic settlement queued per peer, a per-peer backoff after a
 * failure.
 */
export class SettlementMonitor {
  readonly #o: MonitorOptions;
  readonly #executor: MonitorOptions['executor'];
  readonly #life: MonitorOptions['life'];
  readonly #dirty = new Set<string>();
  #checkTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  /** Peers with an automatic settlement queued and not started yet. */
  readonly #waiting = new Set<string>();
  /** Peers whose last settlement failed: threshold checks wait until `untilMs`. */
  readonly #backoff = new Map<string, { delayMs: number; untilMs: number }>();

  constructor(options: MonitorOptions) {
    this.#o = options;
    this.#executor = options.executor;
    this.#life = options.life;
  }

  /** Starts the polling interval. */
  start(): void {
    this.#pollTimer = setInterval(() => this.#poll(), this.#o.spec.pollingIntervalMs);
  }

  /** Clears the polling interval and a pending threshold check. */
  stop(): void {
    clearInterval(this.#pollTimer);
    clearTimeout(this.#checkTimer);
  }

  /** Called by the pipeline after a Fulfill to `peerId` was booked: cheap, never blocks. */
  fulfilled(peerId: string): void {
    this.#dirty.add(peerId);
    if (this.#checkTimer !== undefined || this.#life.stopped) return;
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      const peers = [...this.#dirty];
      this.#dirty.clear();
      for (const id of peers) this.#life.track(this.settle(id, 'threshold'));
    }, this.#o.checkDelayMs);
  }

  /** A link came up: send the peer's unacknowledged claim again. */
  linkUp(peerId: string): void {
    const channel = this.#o.channels.currentOutgoing(peerId);
    if (channel !== undefined && channel.acknowledgedNonce < channel.nonce)
      this.#life.track(this.#o.queues.outgoing(peerId, () => this.#executor.sendClaim(channel)));
  }

  #poll(): void {
    for (const peer of this.#o.peers()) {
      if (peer.evmAddress === undefined) continue;
      this.#life.track(this.settle(peer.id, 'poll'));
    }
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so. Resolves with
   * the claim sent, or undefined when nothing was due. Errors are reported; only a `manual`
   * settlement also rejects with them.
   */
  settle(peerId: string, reason: SettleReason): Promise<Readonly<OutgoingChannel> | undefined> {
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
    return this.#o.queues.outgoing(peerId, () => {
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
          this.#o.reporter.report('settle', err, peerId);
          // An operator's call learns why; automatic ones are reported and retried later.
          if (reason === 'manual') throw err;
          return undefined;
        },
      );
    });
  }
}
