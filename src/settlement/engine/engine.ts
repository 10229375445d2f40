/**
 * The settlement engine (DESIGN §7): turns what the ledger says we owe into signed claims on
 * payment channels, takes peers' claims, and keeps the chain side safe. Nothing here runs on the
 * packet path: the pipeline only tells `fulfilled(peerId)`, which marks the peer for a check a
 * few milliseconds later.
 *
 * This file is the engine's API, each call handed to the part that does it (built in parts.ts
 * over the state in context.ts): `SettlementMonitor` (when to settle), `UnifiedSettlementExecutor`
 * (paying: channel, claim, send), `AccountManager` (the ledger moves), `ClaimReceiver` (being
 * paid), `ChannelWatcher` (the chain side and redemption) and `ChannelCloser` (closing,
 * cooperatively or not).
 *
 * Restart: the saved state is loaded and the ledger moves of the latest claims are applied again
 * (idempotent ids), so a kill between saving a claim and booking it loses nothing.
 */
import type { Address } from 'viem';
import type { ProtocolData } from '../../codec/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { type ChannelView, channelView } from '../channels/channel-view.js';
import type { ChannelOperator } from './operator.js';
import { type EngineParts, engineParts } from './parts.js';
import type { SettlementSpec } from './spec.js';
import type { SettlementEngineOptions, SettlementStats } from './types.js';

const STOP_WAIT_MS = 5_000;

/** On-chain settlement inside the node: its lifecycle and its API, over the parts that do the work. */
export class SettlementEngine {
  readonly address: Address;
  readonly #spec: SettlementSpec;
  readonly #backend: string;
  readonly #logger: Logger;
  readonly #parts: EngineParts;
  #watchTimer: NodeJS.Timeout | undefined;

  constructor(options: SettlementEngineOptions) {
    this.#spec = options.spec;
    this.#logger = options.logger;
    this.#parts = engineParts(options);
    this.address = options.signer.address;
    this.#backend = options.signer.backend;
  }

  /**
   * Counts of events (claims, redemptions, refusals, chain errors), saved with the channels and
   * gone on from at start; token amounts ever claimed and redeemed, and channels opened and
   * settled, read from the saved channels. A restart resets none of them.
   */
  get stats(): SettlementStats {
    const { reporter, channels } = this.#parts.ctx;
    const c = channels.channelCounts();
    return {
      ...reporter.stats,
      ...channels.totals(),
      channelsOpened: { outgoing: c.outgoing.opened, incoming: c.incoming.opened },
      channelsSettled: { outgoing: c.outgoing.settled, incoming: c.incoming.settled },
    };
  }

  // ── lifecycle ──────────────────────────────────────────────────────────

  /**
   * Refuses an RPC that serves another chain than configured; then loads the saved state and
   * books its latest claims again. Chains connect in the background.
   */
  async start(): Promise<void> {
    const { ctx, accounts, monitor } = this.#parts;
    await ctx.chains.checkIds(this.#spec.chainCheckTimeoutMs);
    await ctx.channels.load();
    ctx.reporter.seed(ctx.channels.savedCounts());
    await accounts.open();
    await accounts.rebook();
    ctx.chains.connectAll(() => ctx.life.track(this.watch()));
    monitor.start();
    this.#watchTimer = setInterval(() => ctx.life.track(this.watch()), this.#spec.watchIntervalMs);
  }

  /** Stops timers and retries; waits for what is in progress (a claim being saved, a tx). */
  async stop(): Promise<void> {
    const { ctx, monitor } = this.#parts;
    if (ctx.life.stopped) return;
    monitor.stop();
    clearInterval(this.#watchTimer);
    this.#parts.wake.stop();
    // A transaction may wait minutes for its receipt; a stop does not. Leaving one is safe: the
    // state was saved before it was sent, and a restart reads the chain (an opened channel is
    // adopted, a deposit re-read, a claim booked again by its id).
    const reason = new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', 'settlement stopped');
    const pending = await ctx.life.stop(reason, STOP_WAIT_MS);
    if (pending !== undefined)
      this.#logger.warn({ pending }, 'settlement: stopped with chain calls still pending');
    await this.#saveCounts();
  }

  /** Saves the event counters when something was counted that no save has recorded yet. */
  async #saveCounts(): Promise<void> {
    const { ctx } = this.#parts;
    if (!ctx.reporter.unsaved) return;
    await ctx.channels.save().catch((err: unknown) => {
      this.#logger.warn({ err: messageOf(err) }, 'settlement: could not save the event counters');
    });
  }

  /** Where this node is paid: its address on each configured chain, and how its key is held. */
  identity(): { backend: string; addresses: { chain: string; chainId: number; address: string }[] } {
    const addresses = this.#parts.ctx.chains
      .configured()
      .map((c) => ({ chain: c.name, chainId: c.chainId, address: this.address }));
    return { backend: this.#backend, addresses };
  }

  /** Resolves once the chain is connected (tests and the API wait on it). */
  chainReady(name = this.#spec.defaultChain): Promise<ChainRuntime> {
    return this.#parts.ctx.chains.ready(name);
  }

  // ── triggers ───────────────────────────────────────────────────────────

  /** Called by the pipeline after a Fulfill to `peerId` was booked: cheap, never blocks. */
  fulfilled(peerId: string): void {
    this.#parts.monitor.fulfilled(peerId);
  }

  /** A link came up: send the peer's unacknowledged claim again. */
  linkUp(peerId: string): void {
    this.#parts.monitor.linkUp(peerId);
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so. Resolves with
   * the claim sent, or undefined when nothing was due. Errors are reported, not thrown.
   */
  settle(peerId: string, reason: 'threshold' | 'poll' | 'manual'): Promise<OutgoingChannel | undefined> {
    return this.#parts.monitor.settle(peerId, reason);
  }

  // ── being paid ─────────────────────────────────────────────────────────

  /**
   * The BTP handler of sub-protocol `payment-channel-claim`: answers an empty Response when the
   * claim is accepted (or is the one already accepted), a BTP Error F00 naming the reason when not.
   */
  receiveClaim(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#parts.receiver.receiveClaim(peerId, data);
  }

  /** Redeems the channel's latest claim on chain; one redemption per channel at a time. */
  redeem(channel: IncomingChannel): Promise<void> {
    return this.#parts.watcher.redeem(channel);
  }

  // ── the chain side ─────────────────────────────────────────────────────

  /**
   * One pass over every channel not yet settled: refreshes deposits and redemptions, redeems
   * when a sender started a close (always inside its challenge period), settles our own
   * channels whose period is over.
   */
  async watch(): Promise<void> {
    await this.#parts.watcher.watch();
    // Counts no change saved since (acknowledgements, refusals, chain errors): at most one
    // write per pass, and none when nothing was counted.
    await this.#saveCounts();
  }

  // ── operator actions ───────────────────────────────────────────────────

  /** Opens a channel to the peer with `deposit` token base units, or adds them to the open one. */
  openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    const { ctx, executor } = this.#parts;
    return ctx.reporter.counted(ctx.queues.outgoing(peerId, () => executor.openChannel(peerId, deposit)));
  }

  /**
   * Closes the channel with the peer in `direction`. Outgoing: starts the challenge period (the
   * watcher settles it once over). Incoming: redeems the latest claim and settles at once.
   */
  closeChannel(peerId: string, direction: 'outgoing' | 'incoming', cooperative = true): Promise<void> {
    return this.#parts.closer.closeChannel(peerId, direction, cooperative);
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-close`: co-signs the peer's cooperative
   * close of its channel to us when the amount pays at least every claim we accepted. From then
   * on the channel takes no claim; if the peer does not submit the settle, the watcher does.
   */
  receiveClose(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#parts.closer.receiveClose(peerId, data);
  }

  /** One channel by id, in either direction: viewed, topped up, closed, settled now (engine/operator.ts). */
  get operator(): ChannelOperator {
    return this.#parts.operator;
  }

  /** Every channel this node knows, newest last. */
  listChannels(): ChannelView[] {
    const { channels } = this.#parts.ctx;
    return [
      ...channels.outgoing.map((c) => this.#view(c, 'outgoing')),
      ...channels.incoming.map((c) => this.#view(c, 'incoming')),
    ];
  }

  /** The peer's current channels (not settled) in each direction. */
  channelsOf(peerId: string): { outgoing: ChannelView | undefined; incoming: ChannelView | undefined } {
    const { channels } = this.#parts.ctx;
    const out = channels.currentOutgoing(peerId);
    const inc = channels.currentIncoming(peerId);
    return {
      outgoing: out === undefined ? undefined : this.#view(out, 'outgoing'),
      incoming: inc === undefined ? undefined : this.#view(inc, 'incoming'),
    };
  }

  #view(c: Readonly<OutgoingChannel> | Readonly<IncomingChannel>, direction: 'outgoing' | 'incoming') {
    return channelView(c, direction, this.#parts.ctx.chains.nameOf(c.chainId));
  }
}
