/**
 * Paying (we owe a peer): make sure a channel to the peer's `evmAddress` exists with enough
 * deposit on the peer's chain (open or top up), sign the next cumulative claim, save it, move the
 * amount in the ledger (`peer:N` → `own:settlement`, idempotent id from channel and nonce), then
 * send it over BTP sub-protocol `payment-channel-claim`. The caller holds the peer's queue: one
 * claim per peer at a time. A claim the peer did not acknowledge is sent again when the link
 * comes back and on every poll.
 */
import type { Address } from 'viem';
import { BtpRemoteError } from '../../btp/index.js';
import { CONTENT_TYPE } from '../../codec/index.js';
import { ConnectorError } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { OutgoingChannel } from '../channels/channel-store.js';
import { latestClaim, signClaim } from '../claims/claim.js';
import { CLAIM_SUB_PROTOCOL, encodeClaim } from '../claims/claim-codec.js';
import { AssetUnits } from '../claims/units.js';
import type { AccountManager } from './account-manager.js';
import { claimFields, type SettlementContext } from './context.js';
import type { ChannelView, SettlementPeer } from './types.js';

/** Why a settlement runs: a Fulfill crossed the threshold, the polling interval, or an operator. */
export type SettleReason = 'threshold' | 'poll' | 'manual';

/**
 * Pays a peer on whichever configured chain it settles on: opens, adopts and tops up the
 * channel, signs → saves → books → sends the claim, and records the peer's answer.
 */
export class UnifiedSettlementExecutor {
  readonly #ctx: SettlementContext;
  readonly #accounts: AccountManager;

  constructor(ctx: SettlementContext, accounts: AccountManager) {
    this.#ctx = ctx;
    this.#accounts = accounts;
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so: the claim
   * sent, or undefined when nothing was due. Throws; run it in the peer's queue.
   */
  async settleNow(peerId: string, reason: SettleReason): Promise<OutgoingChannel | undefined> {
    const ctx = this.#ctx;
    if (ctx.stopped) return undefined;
    const peer = ctx.options.peer(peerId);
    if (peer?.evmAddress === undefined) return undefined;
    const pending = ctx.currentOutgoing(peerId);
    // A claim saved but not booked (a ledger failure): booked before anything is signed on top.
    if (pending !== undefined) await this.#accounts.bookPaid(pending);
    // Unacknowledged claims go again on polls and link-ups, not after every Fulfill.
    if (pending !== undefined && reason !== 'threshold' && pending.acknowledgedNonce < pending.nonce)
      await this.sendClaim(pending);

    const payIlp = await this.#due(peerId, peer, reason);
    if (payIlp === undefined) return undefined;
    const chain = await ctx.chainFor(peer);
    const units = new AssetUnits(peer.assetScale, chain.decimals);
    const tokens = units.toToken(payIlp);
    if (tokens === 0n) return undefined;
    const channel = await this.#outgoingWithRoom(peer, chain, tokens);
    await this.#signNext(chain, channel, tokens, units);
    await this.#accounts.bookPaid(channel);
    ctx.stats.claimsSent++;
    ctx.stats.tokensSent += tokens;
    ctx.emit({
      type: 'claim-sent',
      peerId,
      channelId: channel.channelId,
      nonce: channel.nonce,
      amount: tokens,
      ilpAmount: channel.ledgerDelta,
    });
    await this.sendClaim(channel);
    await this.#topUpBelowWatermark(chain, channel);
    return channel;
  }

  /** What to pay now in ILP units (down to `settleTo`), or undefined when nothing is due. */
  async #due(peerId: string, peer: SettlementPeer, reason: SettleReason): Promise<bigint | undefined> {
    const owed = await this.#accounts.owed(peerId);
    if (owed === undefined) return undefined;
    const threshold = peer.settleThreshold ?? this.#ctx.spec.thresholdIlp;
    if (reason === 'threshold' && (threshold === undefined || owed < threshold)) return undefined;
    const payIlp = owed - (peer.settleTo ?? 0n);
    return payIlp <= 0n ? undefined : payIlp;
  }

  /** Signs the channel's next claim for `tokens` more and saves it; undone if it cannot be saved. */
  async #signNext(
    chain: ChainRuntime,
    channel: OutgoingChannel,
    tokens: bigint,
    units: AssetUnits,
  ): Promise<void> {
    const before = channel.transferred;
    const after = before + tokens;
    const ledgerDelta = units.toIlp(after) - units.toIlp(before);
    const claim = await signClaim(
      this.#ctx.options.signer,
      { chainId: chain.chainId, tokenNetwork: chain.network.address, channelId: channel.channelId },
      channel.nonce + 1n,
      after,
    );
    const previous = claimFields(channel);
    channel.nonce = claim.nonce;
    channel.transferred = after;
    channel.ledgerDelta = ledgerDelta;
    channel.signature = claim.signature;
    // Saved before anything else: a restart must never sign another claim with this nonce. A
    // claim that could not be saved is forgotten (never sent, never booked).
    await this.#ctx.save().catch((err: unknown) => {
      Object.assign(channel, previous);
      throw err;
    });
  }

  /** Tops the channel up ahead of need once its room falls below `topUpWatermark`. */
  async #topUpBelowWatermark(chain: ChainRuntime, channel: OutgoingChannel): Promise<void> {
    const watermark = this.#ctx.spec.topUpWatermark;
    if (watermark === 0n || channel.status !== 'open' || channel.deposit - channel.transferred >= watermark)
      return;
    await this.#deposit(chain, channel, max(watermark, this.#ctx.spec.initialDeposit));
  }

  /** Deposits `amount` more into the channel, saves and reports the new deposit. */
  async #deposit(chain: ChainRuntime, channel: OutgoingChannel, amount: bigint): Promise<void> {
    await chain.network.deposit(channel.channelId, amount);
    channel.deposit += amount;
    await this.#ctx.save();
    this.#ctx.emit({
      type: 'channel-deposit',
      peerId: channel.peerId,
      channelId: channel.channelId,
      deposit: channel.deposit,
    });
  }

  /** The peer's open channel with `tokens` of room, opening or topping it up on chain. */
  async #outgoingWithRoom(
    peer: SettlementPeer,
    chain: ChainRuntime,
    tokens: bigint,
  ): Promise<OutgoingChannel> {
    const ctx = this.#ctx;
    let channel = ctx.currentOutgoing(peer.id);
    if (channel !== undefined && channel.chainId !== chain.chainId) channel = undefined;
    if (channel?.status === 'closing') {
      throw new ConnectorError('ERR_CHANNEL', `channel ${channel.channelId} to ${peer.id} is closing`);
    }
    if (channel === undefined) channel = await this.#openOutgoing(peer, chain, tokens);
    const room = channel.deposit - channel.transferred;
    if (room < tokens) {
      // The chain may know a deposit we did not save (a kill right after the transaction).
      const onChain = await ctx.read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain === undefined || onChain.status !== 'open') {
        channel.status = onChain === undefined ? 'settled' : 'closing';
        await ctx.save();
        throw new ConnectorError(
          'ERR_CHANNEL',
          `channel ${channel.channelId} to ${peer.id} is no longer open`,
        );
      }
      channel.deposit = onChain.deposit;
      const missing = tokens - (channel.deposit - channel.transferred);
      if (missing > 0n) await this.#deposit(chain, channel, max(missing, ctx.spec.initialDeposit));
    }
    return channel;
  }

  async #openOutgoing(peer: SettlementPeer, chain: ChainRuntime, tokens: bigint): Promise<OutgoingChannel> {
    const ctx = this.#ctx;
    const receiver = peer.evmAddress as Address;
    // A channel opened just before a kill, never saved: adopt it.
    let channelId = await ctx.read(chain, () => chain.network.channelIdOf(ctx.address, receiver));
    let deposit: bigint;
    let history = { nonce: 0n, redeemed: 0n };
    if (channelId !== undefined) {
      const onChain = await ctx.read(chain, () => chain.network.getChannel(channelId!));
      if (onChain !== undefined) history = { nonce: onChain.nonce, redeemed: onChain.redeemed };
      if (onChain?.status !== 'open') {
        throw new ConnectorError(
          'ERR_CHANNEL',
          `the channel to ${peer.id} on ${chain.name} is closing; wait for it to settle`,
        );
      }
      deposit = onChain.deposit;
    } else {
      deposit = max(tokens, ctx.spec.initialDeposit);
      const opened = await chain.network.openChannel(receiver, ctx.spec.challengePeriodSeconds, deposit);
      channelId = opened.channelId;
    }
    const channel: OutgoingChannel = {
      peerId: peer.id,
      chainId: chain.chainId,
      tokenNetwork: chain.network.address,
      channelId,
      receiver,
      deposit,
      // An adopted channel with history on chain (a lost state file): claims go on from there.
      nonce: history.nonce,
      transferred: history.redeemed,
      ledgerDelta: 0n,
      bookedNonce: history.nonce,
      signature: undefined,
      status: 'open',
      settleableAt: 0n,
      acknowledgedNonce: history.nonce,
    };
    ctx.state.outgoing.push(channel);
    await ctx.save();
    ctx.emit({ type: 'channel-opened', peerId: peer.id, channelId, chain: chain.name, deposit });
    return channel;
  }

  /** Sends the channel's latest claim; an answer records the acknowledgement. Never throws. */
  async sendClaim(channel: OutgoingChannel): Promise<void> {
    const ctx = this.#ctx;
    if (channel.signature === undefined || channel.nonce === 0n) return;
    if (!ctx.options.links.isConnected(channel.peerId)) return;
    const claim = latestClaim(channel, channel.signature);
    const nonce = channel.nonce;
    try {
      await ctx.options.links.request(
        channel.peerId,
        [
          {
            protocolName: CLAIM_SUB_PROTOCOL,
            contentType: CONTENT_TYPE.octetStream,
            data: encodeClaim(claim),
          },
        ],
        ctx.options.claimTimeoutMs ?? 10_000,
      );
    } catch (err) {
      await this.#notAcknowledged(channel, nonce, err);
      return;
    }
    // Saved with the next change: a restart that lost it sends the claim once more, and the
    // peer answers a claim it already holds without booking it again.
    if (channel.acknowledgedNonce < nonce) channel.acknowledgedNonce = nonce;
    ctx.stats.claimsAcknowledged++;
    ctx.emit({ type: 'claim-acknowledged', peerId: channel.peerId, channelId: channel.channelId, nonce });
  }

  /** A claim the peer refused (recorded, logged loudly) or did not answer (sent again later). */
  async #notAcknowledged(channel: OutgoingChannel, nonce: bigint, err: unknown): Promise<void> {
    const ctx = this.#ctx;
    if (err instanceof BtpRemoteError && !err.btpCode.startsWith('T')) {
      // The peer read it and said no: it is logged loudly; the claim stays valid on chain.
      channel.acknowledgedNonce = nonce;
      await ctx.save();
      ctx.stats.claimsRejectedByPeer++;
      ctx.emit({
        type: 'claim-rejected-by-peer',
        peerId: channel.peerId,
        channelId: channel.channelId,
        nonce,
        message: err.btpData,
      });
      ctx.logger.error(
        { peerId: channel.peerId, channelId: channel.channelId, nonce: String(nonce), reason: err.btpData },
        'settlement: the peer refused our claim',
      );
      return;
    }
    ctx.logger.warn(
      { peerId: channel.peerId, nonce: String(nonce), err: messageOf(err) },
      'settlement: claim not delivered; it is sent again when the link is back',
    );
  }

  /**
   * The operator's open: a channel to the peer with `deposit` token base units, or the deposit
   * added to the open one. Run it in the peer's queue.
   */
  async openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    const ctx = this.#ctx;
    const peer = ctx.options.peer(peerId);
    if (peer === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw new ConnectorError('ERR_CHANNEL', `peer ${peerId} has no evmAddress: no channel can be opened`);
    if (deposit <= 0n) throw new ConnectorError('ERR_INVALID_ARGUMENT', 'the deposit must be positive');
    const chain = await ctx.chainFor(peer);
    const current = ctx.currentOutgoing(peerId);
    if (current === undefined || current.chainId !== chain.chainId) {
      const channel = await this.#openOutgoing(peer, chain, deposit);
      return ctx.view(channel, 'outgoing');
    }
    if (current.status !== 'open')
      throw new ConnectorError('ERR_CHANNEL', `channel ${current.channelId} to ${peerId} is closing`);
    await this.#deposit(chain, current, deposit);
    return ctx.view(current, 'outgoing');
  }
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
