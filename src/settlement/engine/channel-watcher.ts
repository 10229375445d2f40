/**
 * The chain side, by itself: every channel not yet settled is read on chain (every
 * `watchIntervalMs` and once when a chain connects). It reads the channel's state, not events, so
 * a close that happened while the node was down is still answered in time at the next start.
 * Redemption of incoming claims lives here too.
 */
import type { Hex } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { tokenNetworkAbi } from '../chain/abi.js';
import { ChainError } from '../chain/errors.js';
import { DEFAULT_CHAIN_RETRY, retryChain } from '../chain/retry.js';
import { type ChainRuntime, submitCooperativeClose } from '../chain/runtime.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { latestClaim } from '../claims/claim.js';
import type { ChainConnections } from './chains.js';
import type { Lifecycle } from './lifecycle.js';
import type { SerialQueues } from './queues.js';
import type { Reporter } from './reporter.js';
import type { SettlementSpec } from './spec.js';

/** A settle that reverted (the chain's clock behind ours) is tried again this much later. */
const RETRY_SETTLE_MS = 1_000;
/** ~7 hours of Base blocks: where a settled channel's event is looked for. */
const SETTLED_LOOKBACK_BLOCKS = 50_000n;

export interface WatcherOptions {
  readonly spec: Pick<SettlementSpec, 'watchIntervalMs' | 'redeemMinimum'>;
  readonly logger: Logger;
  /** Changes what the chain says of a channel: deposit, redeemed, closing, settled. */
  readonly channels: Pick<
    ChannelBook,
    'outgoing' | 'incoming' | 'setDeposit' | 'setRedeemed' | 'setStatus' | 'save'
  >;
  readonly chains: Pick<ChainConnections, 'byId' | 'read'>;
  readonly queues: Pick<SerialQueues, 'outgoing' | 'incoming' | 'redemption'>;
  readonly reporter: Pick<Reporter, 'emit' | 'report' | 'countRedemption'>;
  readonly life: Pick<Lifecycle, 'stopped' | 'signal'>;
  /** Asks for a watch pass at `atMs` (wall clock): the end of a challenge period. */
  readonly wake: (atMs: number) => void;
}

/** Watch passes over every channel, and redemption of the claims we hold. */
export class ChannelWatcher {
  readonly #o: WatcherOptions;
  readonly #channels: WatcherOptions['channels'];
  readonly #chains: WatcherOptions['chains'];
  readonly #reporter: WatcherOptions['reporter'];
  #watching: Promise<void> | undefined;

  constructor(options: WatcherOptions) {
    this.#o = options;
    this.#channels = options.channels;
    this.#chains = options.chains;
    this.#reporter = options.reporter;
  }

  /**
   * One pass over every channel not yet settled: refreshes deposits and redemptions, redeems
   * when a sender started a close (always inside its challenge period), settles our own
   * channels whose period is over.
   */
  watch(): Promise<void> {
    // One pass at a time: with a slow RPC, passes started by the interval would pile up.
    this.#watching ??= this.#watchAll().finally(() => {
      this.#watching = undefined;
    });
    return this.#watching;
  }

  async #watchAll(): Promise<void> {
    const { queues, life } = this.#o;
    for (const channel of this.#channels.incoming) {
      if (channel.status === 'settled' || life.stopped) continue;
      await queues
        .incoming(channel.peerId, () => this.#watchIncoming(channel))
        .catch((err: unknown) => this.#reporter.report('watch', err, channel.peerId));
    }
    for (const channel of this.#channels.outgoing) {
      if (channel.status === 'settled' || life.stopped) continue;
      await queues
        .outgoing(channel.peerId, () => this.#watchOutgoing(channel))
        .catch((err: unknown) => this.#reporter.report('watch', err, channel.peerId));
    }
  }

  async #watchIncoming(channel: Readonly<IncomingChannel>): Promise<void> {
    const channels = this.#channels;
    if (channel.status === 'settled') return;
    const chain = this.#chains.byId(channel.chainId);
    if (chain === undefined) return;
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    const agreed = channel.cooperative;
    if (
      agreed !== undefined &&
      onChain !== undefined &&
      (onChain.status === 'closing' || Date.now() - agreed.agreedAtMs >= this.#o.spec.watchIntervalMs)
    ) {
      // We co-signed a close its sender did not submit (or it closed unilaterally instead): we
      // hold both signatures, and the contract takes them while the channel is open or closing.
      await submitCooperativeClose(chain, channel.channelId, agreed);
      channels.setRedeemed(channel, agreed.amount);
      await this.#settled(channel, 'incoming');
      return;
    }
    if (onChain === undefined) {
      await this.#incomingGone(chain, channel);
      return;
    }
    let changed = onChain.deposit !== channel.deposit || onChain.redeemed > channel.redeemed;
    channels.setDeposit(channel, onChain.deposit);
    if (onChain.redeemed > channel.redeemed) channels.setRedeemed(channel, onChain.redeemed);
    if (onChain.status === 'closing' && channel.status !== 'closing') {
      channels.setStatus(channel, 'closing', onChain.settleableAt);
      changed = true;
      this.#reporter.emit({
        type: 'channel-closing',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'incoming',
        settleableAt: onChain.settleableAt,
      });
    }
    if (changed) await channels.save();
    const due = channel.transferred - channel.redeemed;
    if (due > 0n && (channel.status === 'closing' || due >= this.#o.spec.redeemMinimum))
      await this.redeem(channel);
  }

  /** An incoming channel no longer on chain: what its settle paid us is in its ChannelSettled event. */
  async #incomingGone(chain: ChainRuntime, channel: Readonly<IncomingChannel>): Promise<void> {
    const paid = await this.#settledPaid(chain, channel.channelId);
    if (paid !== undefined) this.#channels.setRedeemed(channel, channel.redeemed + paid);
    if (paid === undefined || channel.transferred > channel.redeemed) {
      this.#o.logger.error(
        {
          peerId: channel.peerId,
          channelId: channel.channelId,
          claimed: String(channel.transferred),
          redeemed: paid === undefined ? 'unknown' : String(channel.redeemed),
        },
        'settlement: an incoming channel settled with value unredeemed (or its settle event was not found)',
      );
    }
    await this.#settled(channel, 'incoming');
  }

  async #watchOutgoing(channel: Readonly<OutgoingChannel>): Promise<void> {
    const chain = this.#chains.byId(channel.chainId);
    if (chain === undefined) return;
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined) {
      await this.#settled(channel, 'outgoing');
      return;
    }
    if (onChain.deposit !== channel.deposit) {
      this.#channels.setDeposit(channel, onChain.deposit);
      await this.#channels.save();
    }
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      await submitCooperativeClose(chain, channel.channelId, agreed);
      await this.#settled(channel, 'outgoing');
      return;
    }
    if (onChain.status !== 'closing') return;
    if (channel.status !== 'closing') {
      this.#channels.setStatus(channel, 'closing', onChain.settleableAt);
      await this.#channels.save();
    }
    await this.#settleWhenOver(chain, channel, onChain.settleableAt);
  }

  /**
   * Our closing channel's challenge period: over when the latest block says so (blocks flow) or
   * when wall-clock time does (an idle chain mines no block to say it; with automine the settle
   * transaction's own block carries the time). Not over yet: a wake-up at its end. A revert (the
   * chain's clock behind ours) is tried again at the next pass, not reported as a failure.
   */
  async #settleWhenOver(
    chain: ChainRuntime,
    channel: Readonly<OutgoingChannel>,
    settleableAt: bigint,
  ): Promise<void> {
    if (!(await this.periodOver(chain, settleableAt))) {
      this.#o.wake(Number(settleableAt) * 1000);
      return;
    }
    try {
      await chain.network.settleChannel(channel.channelId);
    } catch (err) {
      if (!(err instanceof ChainError) || err.kind !== 'revert') throw err;
      const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain !== undefined) {
        this.#o.logger.warn(
          { peerId: channel.peerId, channelId: channel.channelId, err: err.message },
          'settlement: the settle transaction reverted (the chain clock may lag); trying again',
        );
        this.#o.wake(Date.now() + RETRY_SETTLE_MS);
        return;
      }
      // Settled by the peer meanwhile.
    }
    await this.#settled(channel, 'outgoing');
  }

  /** True once the later of the latest block's time and wall-clock time reaches `settleableAt`. */
  async periodOver(chain: ChainRuntime, settleableAt: bigint): Promise<boolean> {
    const nowS = BigInt(Math.floor(Date.now() / 1000));
    if (nowS >= settleableAt) return true;
    const block = await this.#chains.read(chain, () => chain.client.publicClient.getBlock());
    return block.timestamp >= settleableAt;
  }

  /**
   * The operator's "settle now" of our closing channel: the settle transaction at once when the
   * period is over; ERR_CHANNEL naming when it ends otherwise; a revert is the caller's.
   */
  async settleOutgoingNow(channel: Readonly<OutgoingChannel>): Promise<void> {
    const chain = this.#chains.byId(channel.chainId);
    if (chain === undefined)
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain ${channel.chainId} is not connected`);
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined) {
      await this.#settled(channel, 'outgoing');
      return;
    }
    if (onChain.status !== 'closing')
      throw new ConnectorError('ERR_CHANNEL', `channel ${channel.channelId} is not closing on chain`);
    if (!(await this.periodOver(chain, onChain.settleableAt)))
      throw new ConnectorError(
        'ERR_CHANNEL',
        `the challenge period of ${channel.channelId} ends at ${new Date(Number(onChain.settleableAt) * 1000).toISOString()}`,
      );
    await chain.network.settleChannel(channel.channelId);
    await this.#settled(channel, 'outgoing');
  }

  /** Marks the channel settled, saves and reports it. */
  async #settled(
    channel: Readonly<IncomingChannel> | Readonly<OutgoingChannel>,
    direction: 'incoming' | 'outgoing',
  ): Promise<void> {
    this.#channels.setStatus(channel, 'settled');
    await this.#channels.save();
    this.#reporter.emit({
      type: 'channel-settled',
      peerId: channel.peerId,
      channelId: channel.channelId,
      direction,
    });
  }

  /** `receiverPaid` of the channel's ChannelSettled event, looked for in the last ~50k blocks. */
  async #settledPaid(chain: ChainRuntime, channelId: Hex): Promise<bigint | undefined> {
    const latest = await this.#chains.read(chain, () => chain.client.publicClient.getBlockNumber());
    const fromBlock = latest > SETTLED_LOOKBACK_BLOCKS ? latest - SETTLED_LOOKBACK_BLOCKS : 0n;
    const events = await this.#chains.read(chain, () =>
      chain.client.publicClient.getContractEvents({
        address: chain.network.address,
        abi: tokenNetworkAbi,
        eventName: 'ChannelSettled',
        args: { channelId },
        fromBlock,
      }),
    );
    return events.at(-1)?.args.receiverPaid;
  }

  /**
   * Redeems the channel's latest claim on chain; one redemption per channel at a time. A failure
   * is reported; `rethrow` (the operator's "settle now") also throws it to the caller.
   */
  redeem(channel: Readonly<IncomingChannel>, rethrow = false): Promise<void> {
    const { life } = this.#o;
    return this.#o.queues.redemption(channel.channelId, async () => {
      if (channel.signature === undefined || channel.transferred <= channel.redeemed || life.stopped) return;
      const chain = this.#chains.byId(channel.chainId);
      if (chain === undefined) return;
      const claim = latestClaim(channel, channel.signature);
      try {
        const result = await retryChain('redeem', () => chain.network.redeem(claim), {
          ...DEFAULT_CHAIN_RETRY,
          signal: life.signal,
        });
        this.#channels.setRedeemed(channel, claim.transferredAmount);
        this.#reporter.countRedemption();
        await this.#channels.save();
        this.#reporter.emit({
          type: 'redeemed',
          peerId: channel.peerId,
          channelId: channel.channelId,
          paid: result.paid,
          redeemed: channel.redeemed,
          txHash: result.txHash,
        });
      } catch (err) {
        this.#reporter.report('redeem', err, channel.peerId);
        if (rethrow) throw err;
      }
    });
  }
}
