/**
 * The settlement engine (DESIGN §7): turns what the ledger says we owe into signed claims on
 * payment channels, takes peers' claims, and keeps the chain side safe. Nothing here runs on the
 * packet path: the pipeline only tells `fulfilled(peerId)`, which marks the peer for a check a
 * few milliseconds later.
 *
 * The engine composes its parts over one `SettlementContext`: `SettlementMonitor` (when to settle),
 * `UnifiedSettlementExecutor` (paying: channel, claim, send), `AccountManager` (the ledger moves),
 * `ClaimReceiver` (being paid), `ChannelWatcher` (the chain side and redemption) and
 * `ChannelCloser` (closing, cooperatively or not).
 *
 * Restart: the saved state is loaded and the ledger moves of the latest claims are applied again
 * (idempotent ids), so a kill between saving a claim and booking it loses nothing.
 */
import type { Address } from 'viem';
import type { ProtocolData } from '../../codec/index.js';
import { ConnectorError } from '../../utils/errors.js';
import { backoffCapMs, sleep } from '../chain/retry.js';
import { type ChainRuntime, type ChainSpec, connectChain } from '../chain/runtime.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { AccountManager } from './account-manager.js';
import { ChannelCloser } from './channel-closer.js';
import { ChannelWatcher } from './channel-watcher.js';
import { ClaimReceiver } from './claim-receiver.js';
import { SettlementContext } from './context.js';
import { UnifiedSettlementExecutor } from './executor.js';
import { SettlementMonitor } from './monitor.js';
import type { ChannelView, SettlementEngineOptions, SettlementStats } from './types.js';

const STOP_WAIT_MS = 5_000;
/** A chain that does not answer at start is tried again after 1 s, 2 s, 4 s, ... at most 30 s. */
const CONNECT_BACKOFF = { minDelayMs: 1_000, maxDelayMs: 30_000 } as const;

/** On-chain settlement inside the node: its parts composed, its lifecycle, its API. */
export class SettlementEngine {
  readonly address: Address;
  readonly stats: SettlementStats;
  readonly #ctx: SettlementContext;
  readonly #accounts: AccountManager;
  readonly #executor: UnifiedSettlementExecutor;
  readonly #monitor: SettlementMonitor;
  readonly #watcher: ChannelWatcher;
  readonly #receiver: ClaimReceiver;
  readonly #closer: ChannelCloser;
  #watchTimer: NodeJS.Timeout | undefined;

  constructor(options: SettlementEngineOptions) {
    const ctx = new SettlementContext(options);
    this.#ctx = ctx;
    this.address = ctx.address;
    this.stats = ctx.stats;
    this.#accounts = new AccountManager(ctx);
    this.#executor = new UnifiedSettlementExecutor(ctx, this.#accounts);
    this.#monitor = new SettlementMonitor(ctx, this.#executor);
    this.#watcher = new ChannelWatcher(ctx);
    this.#receiver = new ClaimReceiver(ctx, this.#accounts, this.#watcher);
    this.#closer = new ChannelCloser(ctx, this.#executor);
  }

  // ── lifecycle ──────────────────────────────────────────────────────────

  /** Loads the saved state and books its latest claims again; chains connect in the background. */
  async start(): Promise<void> {
    const ctx = this.#ctx;
    ctx.state = await ctx.options.store.load();
    await this.#accounts.open();
    await this.#accounts.rebook();
    for (const spec of ctx.spec.chains) this.#connect(spec);
    this.#monitor.start();
    this.#watchTimer = setInterval(() => ctx.track(this.watch()), ctx.spec.watchIntervalMs);
  }

  /** Stops timers and retries; waits for what is in progress (a claim being saved, a tx). */
  async stop(): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.stopped) return;
    ctx.stopped = true;
    this.#monitor.stop();
    clearInterval(this.#watchTimer);
    ctx.abort.abort(new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', 'settlement stopped'));
    // A transaction may wait minutes for its receipt; a stop does not. Leaving one is safe: the
    // state was saved before it was sent, and a restart reads the chain (an opened channel is
    // adopted, a deposit re-read, a claim booked again by its id).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_WAIT_MS);
    });
    const drained = (async () => {
      while (ctx.tasks.size > 0) await Promise.allSettled([...ctx.tasks]);
      return 'drained' as const;
    })();
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      ctx.logger.warn({ pending: ctx.tasks.size }, 'settlement: stopped with chain calls still pending');
  }

  /** Resolves once the chain is connected (tests and the API wait on it). */
  chainReady(name = this.#ctx.spec.defaultChain): Promise<ChainRuntime> {
    const ready = this.#ctx.chainsReady.get(name);
    if (ready === undefined)
      return Promise.reject(
        new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `no settlement chain "${name}"`),
      );
    return ready;
  }

  /** Connects in the background, retrying with capped backoff until it works or the node stops. */
  #connect(spec: ChainSpec): void {
    const ctx = this.#ctx;
    const ready = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const chain = await connectChain(spec, ctx.options.signer, ctx.spec.chainPollingIntervalMs);
          ctx.chains.set(spec.name, chain);
          ctx.logger.info(
            {
              chain: spec.name,
              chainId: chain.chainId,
              tokenNetwork: chain.network.address,
              address: this.address,
            },
            'settlement: chain connected',
          );
          ctx.emit({
            type: 'chain-ready',
            chain: spec.name,
            chainId: chain.chainId,
            tokenNetwork: chain.network.address,
          });
          ctx.track(this.watch());
          return chain;
        } catch (err) {
          if (ctx.stopped) throw err;
          ctx.report('connect', err);
          await sleep('connect', backoffCapMs(attempt, CONNECT_BACKOFF), ctx.abort.signal);
        }
      }
    })();
    ready.catch(() => undefined);
    ctx.chainsReady.set(spec.name, ready);
    ctx.track(ready);
  }

  // ── triggers ───────────────────────────────────────────────────────────

  /** Called by the pipeline after a Fulfill to `peerId` was booked: cheap, never blocks. */
  fulfilled(peerId: string): void {
    this.#monitor.fulfilled(peerId);
  }

  /** A link came up: send the peer's unacknowledged claim again. */
  linkUp(peerId: string): void {
    this.#monitor.linkUp(peerId);
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so. Resolves with
   * the claim sent, or undefined when nothing was due. Errors are reported, not thrown.
   */
  settle(peerId: string, reason: 'threshold' | 'poll' | 'manual'): Promise<OutgoingChannel | undefined> {
    return this.#monitor.settle(peerId, reason);
  }

  // ── being paid ─────────────────────────────────────────────────────────

  /**
   * The BTP handler of sub-protocol `payment-channel-claim`: answers an empty Response when the
   * claim is accepted (or is the one already accepted), a BTP Error F00 naming the reason when not.
   */
  receiveClaim(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#receiver.receiveClaim(peerId, data);
  }

  /** Redeems the channel's latest claim on chain; one redemption per channel at a time. */
  redeem(channel: IncomingChannel): Promise<void> {
    return this.#watcher.redeem(channel);
  }

  // ── the chain side ─────────────────────────────────────────────────────

  /**
   * One pass over every channel not yet settled: refreshes deposits and redemptions, redeems
   * when a sender started a close (always inside its challenge period), settles our own
   * channels whose period is over.
   */
  watch(): Promise<void> {
    return this.#watcher.watch();
  }

  // ── operator actions ───────────────────────────────────────────────────

  /** Opens a channel to the peer with `deposit` token base units, or adds them to the open one. */
  openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    const ctx = this.#ctx;
    return ctx.counted(ctx.serial(peerId, () => this.#executor.openChannel(peerId, deposit)));
  }

  /**
   * Closes the channel with the peer in `direction`. Outgoing: starts the challenge period (the
   * watcher settles it once over). Incoming: redeems the latest claim and settles at once.
   */
  closeChannel(peerId: string, direction: 'outgoing' | 'incoming', cooperative = true): Promise<void> {
    return this.#closer.closeChannel(peerId, direction, cooperative);
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-close`: co-signs the peer's cooperative
   * close of its channel to us when the amount pays at least every claim we accepted. From then
   * on the channel takes no claim; if the peer does not submit the settle, the watcher does.
   */
  receiveClose(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#closer.receiveClose(peerId, data);
  }

  /** Every channel this node knows, newest last. */
  listChannels(): ChannelView[] {
    const ctx = this.#ctx;
    return [
      ...ctx.state.outgoing.map((c) => ctx.view(c, 'outgoing')),
      ...ctx.state.incoming.map((c) => ctx.view(c, 'incoming')),
    ];
  }

  /** The peer's current channels (not settled) in each direction. */
  channelsOf(peerId: string): { outgoing: ChannelView | undefined; incoming: ChannelView | undefined } {
    const ctx = this.#ctx;
    const out = ctx.currentOutgoing(peerId);
    const inc = ctx.currentIncoming(peerId);
    return {
      outgoing: out === undefined ? undefined : ctx.view(out, 'outgoing'),
      incoming: inc === undefined ? undefined : ctx.view(inc, 'incoming'),
    };
  }
}
