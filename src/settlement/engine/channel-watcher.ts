/**
 * The chain side, by itself: every channel not yet settled is read on chain (every
 * `watchIntervalMs` and once when a chain connects). It reads the channel's state, not events, so
 * a close that happened while the node was down is still answered in time at the next start.
 * Redemption of incoming claims lives here too.
 */
import type { Hex } from 'viem';
import { tokenNetworkAbi } from '../chain/abi.js';
import { DEFAULT_CHAIN_RETRY, retryChain } from '../chain/retry.js';
import { type ChainRuntime, submitCooperativeClose } from '../chain/runtime.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { latestClaim } from '../claims/claim.js';
import type { SettlementContext } from './context.js';

/** ~7 hours of Base blocks: where a settled channel's event is looked for. */
const SETTLED_LOOKBACK_BLOCKS = 50_000n;

/** Watch passes over every channel, and redemption of the claims we hold. */
export class ChannelWatcher {
  readonly #ctx: SettlementContext;
  #watching: Promise<void> | undefined;

  constructor(ctx: SettlementContext) {
    this.#ctx = ctx;
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
    const ctx = this.#ctx;
    for (const channel of ctx.state.incoming) {
      if (channel.status === 'settled' || ctx.stopped) continue;
      await ctx
        .serial(`in:${channel.peerId}`, () => this.#watchIncoming(channel))
        .catch((err: unknown) => ctx.report('watch', err, channel.peerId));
    }
    for (const channel of ctx.state.outgoing) {
      if (channel.status === 'settled' || ctx.stopped) continue;
      await ctx
        .serial(channel.peerId, () => this.#watchOutgoing(channel))
        .catch((err: unknown) => ctx.report('watch', err, channel.peerId));
    }
  }

  async #watchIncoming(channel: IncomingChannel): Promise<void> {
    const ctx = this.#ctx;
    if (channel.status === 'settled') return;
    const chain = ctx.chainById(channel.chainId);
    if (chain === undefined) return;
    const onChain = await ctx.read(chain, () => chain.network.getChannel(channel.channelId));
    const agreed = channel.cooperative;
    if (
      agreed !== undefined &&
      onChain !== undefined &&
      (onChain.status === 'closing' || Date.now() - agreed.agreedAtMs >= ctx.spec.watchIntervalMs)
    ) {
      // We co-signed a close its sender did not submit (or it closed unilaterally instead): we
      // hold both signatures, and the contract takes them while the channel is open or closing.
      await submitCooperativeClose(chain, channel.channelId, agreed);
      channel.redeemed = agreed.amount;
      await this.#settled(channel, 'incoming');
      return;
    }
    if (onChain === undefined) {
      await this.#incomingGone(chain, channel);
      return;
    }
    let changed = onChain.deposit !== channel.deposit || onChain.redeemed > channel.redeemed;
    channel.deposit = onChain.deposit;
    if (onChain.redeemed > channel.redeemed) channel.redeemed = onChain.redeemed;
    if (onChain.status === 'closing' && channel.status !== 'closing') {
      channel.status = 'closing';
      channel.settleableAt = onChain.settleableAt;
      changed = true;
      ctx.emit({
        type: 'channel-closing',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'incoming',
        settleableAt: onChain.settleableAt,
      });
      ctx.logger.warn(
        { peerId: channel.peerId, channelId: channel.channelId, settleableAt: String(onChain.settleableAt) },
        'settlement: the peer is closing its channel to us; redeeming its latest claim',
      );
    }
    if (changed) await ctx.save();
    const due = channel.transferred - channel.redeemed;
    if (due > 0n && (channel.status === 'closing' || due >= ctx.spec.redeemMinimum))
      await this.redeem(channel);
  }

  /** An incoming channel no longer on chain: what its settle paid us is in its ChannelSettled event. */
  async #incomingGone(chain: ChainRuntime, channel: IncomingChannel): Promise<void> {
    const paid = await this.#settledPaid(chain, channel.channelId);
    if (paid !== undefined) channel.redeemed += paid;
    if (paid === undefined || channel.transferred > channel.redeemed) {
      this.#ctx.logger.error(
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

  async #watchOutgoing(channel: OutgoingChannel): Promise<void> {
    const ctx = this.#ctx;
    const chain = ctx.chainById(channel.chainId);
    if (chain === undefined) return;
    const onChain = await ctx.read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined) {
      await this.#settled(channel, 'outgoing');
      return;
    }
    if (onChain.deposit !== channel.deposit) {
      channel.deposit = onChain.deposit;
      await ctx.save();
    }
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      await submitCooperativeClose(chain, channel.channelId, agreed);
      await this.#settled(channel, 'outgoing');
      return;
    }
    if (onChain.status !== 'closing') return;
    if (channel.status !== 'closing') {
      channel.status = 'closing';
      channel.settleableAt = onChain.settleableAt;
      await ctx.save();
    }
    const block = await ctx.read(chain, () => chain.client.publicClient.getBlock());
    if (block.timestamp >= onChain.settleableAt) {
      await chain.network.settleChannel(channel.channelId);
      await this.#settled(channel, 'outgoing');
    }
  }

  /** Marks the channel settled, saves and reports it. */
  async #settled(
    channel: IncomingChannel | OutgoingChannel,
    direction: 'incoming' | 'outgoing',
  ): Promise<void> {
    channel.status = 'settled';
    await this.#ctx.save();
    this.#ctx.emit({
      type: 'channel-settled',
      peerId: channel.peerId,
      channelId: channel.channelId,
      direction,
    });
  }

  /** `receiverPaid` of the channel's ChannelSettled event, looked for in the last ~50k blocks. */
  async #settledPaid(chain: ChainRuntime, channelId: Hex): Promise<bigint | undefined> {
    const ctx = this.#ctx;
    const latest = await ctx.read(chain, () => chain.client.publicClient.getBlockNumber());
    const fromBlock = latest > SETTLED_LOOKBACK_BLOCKS ? latest - SETTLED_LOOKBACK_BLOCKS : 0n;
    const events = await ctx.read(chain, () =>
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

  /** Redeems the channel's latest claim on chain; one redemption per channel at a time. */
  redeem(channel: IncomingChannel): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial(`redeem:${channel.channelId}`, async () => {
      if (channel.signature === undefined || channel.transferred <= channel.redeemed || ctx.stopped) return;
      const chain = ctx.chainById(channel.chainId);
      if (chain === undefined) return;
      const claim = latestClaim(channel, channel.signature);
      try {
        const result = await retryChain('redeem', () => chain.network.redeem(claim), {
          ...DEFAULT_CHAIN_RETRY,
          signal: ctx.abort.signal,
        });
        channel.redeemed = claim.transferredAmount;
        await ctx.save();
        ctx.stats.redemptions++;
        ctx.stats.tokensRedeemed += result.paid;
        ctx.emit({
          type: 'redeemed',
          peerId: channel.peerId,
          channelId: channel.channelId,
          paid: result.paid,
          redeemed: channel.redeemed,
          txHash: result.txHash,
        });
      } catch (err) {
        ctx.report('redeem', err, channel.peerId);
      }
    });
  }
}
