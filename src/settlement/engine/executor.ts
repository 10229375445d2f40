// Over 300 lines: the one paying path, from trigger to sent claim, reads top to bottom in one class.
/**
 * Paying a peer. What `UnifiedSettlementExecutor` unifies (the class name is the spec's): one
 * code path pays every peer, whatever chain it settles on (its `settlementChain`, else the
 * default: Base, Arbitrum or any `blockchain` entry; amounts converted to that chain's token
 * decimals) and whatever asked for it (a Fulfill crossing the threshold, the polling interval, an
 * operator's `settleNow`). That path, in order: book a claim saved but not booked; send an
 * unacknowledged one again (polls and link-ups); work out what is due; have an open channel to
 * the peer's `evmAddress` on the peer's chain with room for it (adopt one the chain knows and we
 * lost, open one, or top it up); sign the next cumulative claim → save it → book it in the ledger
 * (`peer:N` → `own:settlement`, idempotent id from channel and nonce) → send it over BTP
 * sub-protocol `payment-channel-claim`; top up below `topUpWatermark`. The operator's
 * `openChannel` uses the same open and top-up.
 *
 * The caller holds the peer's queue: one claim per peer at a time. A claim the peer did not
 * acknowledge is sent again when the link comes back and on every poll.
 */
import type { Address } from 'viem';
import { BtpRemoteError } from '../../btp/index.js';
import { CONTENT_TYPE } from '../../codec/index.js';
import type { Signer } from '../../keys/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { OutgoingChannel } from '../channels/channel-store.js';
import { type ChannelView, channelView } from '../channels/channel-view.js';
import { latestClaim, signClaim } from '../claims/claim.js';
import { CLAIM_SUB_PROTOCOL, encodeClaim } from '../claims/claim-codec.js';
import { AssetUnits } from '../claims/units.js';
import type { AccountManager } from './account-manager.js';
import type { ChainConnections } from './chains.js';
import type { Lifecycle } from './lifecycle.js';
import type { Reporter } from './reporter.js';
import type { SettlementSpec } from './spec.js';
import type { ClaimLink, SettlementPeer } from './types.js';

/** Why a settlement runs: a Fulfill crossed the threshold, the polling interval, or an operator. */
export type SettleReason = 'threshold' | 'poll' | 'manual';

export interface ExecutorOptions {
  readonly spec: Pick<
    SettlementSpec,
    'thresholdIlp' | 'initialDeposit' | 'topUpWatermark' | 'challengePeriodSeconds'
  >;
  readonly signer: Signer;
  readonly links: ClaimLink;
  readonly peer: (peerId: string) => SettlementPeer | undefined;
  readonly claimTimeoutMs: number;
  readonly logger: Logger;
  /** Changes our channels: opens, claims, acknowledgements, deposits, a status seen on chain. */
  readonly channels: Pick<
    ChannelBook,
    'currentOutgoing' | 'addOutgoing' | 'saveClaim' | 'setAcknowledged' | 'setDeposit' | 'setStatus' | 'save'
  >;
  readonly chains: Pick<ChainConnections, 'forPeer' | 'read' | 'nameOf'>;
  readonly accounts: Pick<AccountManager, 'owed' | 'bookPaid'>;
  readonly reporter: Pick<
    Reporter,
    'emit' | 'countClaimSent' | 'countClaimAcknowledged' | 'countClaimRejectedByPeer'
  >;
  readonly life: Pick<Lifecycle, 'stopped'>;
}

/** Pays a peer on whichever chain it settles on, whatever triggered it: channel, claim, send. */
export class UnifiedSettlementExecutor {
  readonly #o: ExecutorOptions;
  readonly #channels: ExecutorOptions['channels'];
  readonly #chains: ExecutorOptions['chains'];
  readonly #reporter: ExecutorOptions['reporter'];

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#channels = options.channels;
    this.#chains = options.chains;
    this.#reporter = options.reporter;
  }

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so: the claim
   * sent, or undefined when nothing was due. Throws; run it in the peer's queue.
   */
  async settleNow(peerId: string, reason: SettleReason): Promise<Readonly<OutgoingChannel> | undefined> {
    if (this.#o.life.stopped) return undefined;
    const peer = this.#o.peer(peerId);
    if (peer?.evmAddress === undefined) return undefined;
    const pending = this.#channels.currentOutgoing(peerId);
    // A claim saved but not booked (a ledger failure): booked before anything is signed on top.
    if (pending !== undefined) await this.#o.accounts.bookPaid(pending);
    // Unacknowledged claims go again on polls and link-ups, not after every Fulfill.
    if (pending !== undefined && reason !== 'threshold' && pending.acknowledgedNonce < pending.nonce)
      await this.sendClaim(pending);

    const payIlp = await this.#due(peerId, peer, reason);
    if (payIlp === undefined) return undefined;
    const chain = await this.#chains.forPeer(peer);
    const units = new AssetUnits(peer.assetScale, chain.decimals);
    const tokens = units.toToken(payIlp);
    if (tokens === 0n) return undefined;
    const channel = await this.#outgoingWithRoom(peer, chain, tokens);
    await this.#signNext(chain, channel, tokens, units);
    // Counted there, in the save that records the booking: a claim counts once, even across a kill.
    await this.#o.accounts.bookPaid(channel);
    this.#reporter.emit({
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
    const owed = await this.#o.accounts.owed(peerId);
    if (owed === undefined) return undefined;
    const threshold = peer.settleThreshold ?? this.#o.spec.thresholdIlp;
    if (reason === 'threshold' && (threshold === undefined || owed < threshold)) return undefined;
    const payIlp = owed - (peer.settleTo ?? 0n);
    return payIlp <= 0n ? undefined : payIlp;
  }

  /** Signs the channel's next claim for `tokens` more and saves it; undone if it cannot be saved. */
  async #signNext(
    chain: ChainRuntime,
    channel: Readonly<OutgoingChannel>,
    tokens: bigint,
    units: AssetUnits,
  ): Promise<void> {
    const before = channel.transferred;
    const after = before + tokens;
    const ledgerDelta = units.toIlp(after) - units.toIlp(before);
    const claim = await signClaim(
      this.#o.signer,
      { chainId: chain.chainId, tokenNetwork: chain.network.address, channelId: channel.channelId },
      channel.nonce + 1n,
      after,
    );
    // Saved before anything else: a restart must never sign another claim with this nonce. A
    // claim that could not be saved is forgotten (never sent, never booked).
    await this.#channels.saveClaim(channel, {
      nonce: claim.nonce,
      transferred: after,
      ledgerDelta,
      signature: claim.signature,
    });
  }

  /** Tops the channel up ahead of need once its room falls below `topUpWatermark`. */
  async #topUpBelowWatermark(chain: ChainRuntime, channel: Readonly<OutgoingChannel>): Promise<void> {
    const { topUpWatermark: watermark, initialDeposit } = this.#o.spec;
    if (watermark === 0n || channel.status !== 'open' || channel.deposit - channel.transferred >= watermark)
      return;
    await this.#deposit(chain, channel, max(watermark, initialDeposit));
  }

  /** Deposits `amount` more into the channel, saves and reports the new deposit. */
  async #deposit(chain: ChainRuntime, channel: Readonly<OutgoingChannel>, amount: bigint): Promise<void> {
    await chain.network.deposit(channel.channelId, amount);
    this.#channels.setDeposit(channel, channel.deposit + amount);
    await this.#channels.save();
    this.#reporter.emit({
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
  ): Promise<Readonly<OutgoingChannel>> {
    let channel = this.#channels.currentOutgoing(peer.id);
    if (channel !== undefined && channel.chainId !== chain.chainId) channel = undefined;
    if (channel?.status === 'closing') {
      throw new ConnectorError('ERR_CHANNEL', `channel ${channel.channelId} to ${peer.id} is closing`);
    }
    if (channel === undefined) channel = await this.#openOutgoing(peer, chain, tokens);
    const room = channel.deposit - channel.transferred;
    if (room < tokens) {
      const open = channel;
      // The chain may know a deposit we did not save (a kill right after the transaction).
      const onChain = await this.#chains.read(chain, () => chain.network.getChannel(open.channelId));
      if (onChain === undefined || onChain.status !== 'open') {
        this.#channels.setStatus(channel, onChain === undefined ? 'settled' : 'closing');
        await this.#channels.save();
        throw new ConnectorError(
          'ERR_CHANNEL',
          `channel ${channel.channelId} to ${peer.id} is no longer open`,
        );
      }
      this.#channels.setDeposit(channel, onChain.deposit);
      const missing = tokens - (channel.deposit - channel.transferred);
      if (missing > 0n) await this.#deposit(chain, channel, max(missing, this.#o.spec.initialDeposit));
    }
    return channel;
  }

  async #openOutgoing(
    peer: SettlementPeer,
    chain: ChainRuntime,
    tokens: bigint,
  ): Promise<Readonly<OutgoingChannel>> {
    const { spec, signer } = this.#o;
    const receiver = peer.evmAddress as Address;
    // A channel opened just before a kill, never saved: adopt it.
    let channelId = await this.#chains.read(chain, () => chain.network.channelIdOf(signer.address, receiver));
    let deposit: bigint;
    let history = { nonce: 0n, redeemed: 0n };
    if (channelId !== undefined) {
      const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channelId!));
      if (onChain !== undefined) history = { nonce: onChain.nonce, redeemed: onChain.redeemed };
      if (onChain?.status !== 'open') {
        throw new ConnectorError(
          'ERR_CHANNEL',
          `the channel to ${peer.id} on ${chain.name} is closing; wait for it to settle`,
        );
      }
      deposit = onChain.deposit;
    } else {
      deposit = max(tokens, spec.initialDeposit);
      const opened = await chain.network.openChannel(receiver, spec.challengePeriodSeconds, deposit);
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
    this.#channels.addOutgoing(channel);
    await this.#channels.save();
    this.#reporter.emit({ type: 'channel-opened', peerId: peer.id, channelId, chain: chain.name, deposit });
    return channel;
  }

  /** Sends the channel's latest claim; an answer records the acknowledgement. Never throws. */
  async sendClaim(channel: Readonly<OutgoingChannel>): Promise<void> {
    const { links } = this.#o;
    if (channel.signature === undefined || channel.nonce === 0n) return;
    if (!links.isConnected(channel.peerId)) return;
    const claim = latestClaim(channel, channel.signature);
    const nonce = channel.nonce;
    try {
      await links.request(
        channel.peerId,
        [
          {
            protocolName: CLAIM_SUB_PROTOCOL,
            contentType: CONTENT_TYPE.octetStream,
            data: encodeClaim(claim),
          },
        ],
        this.#o.claimTimeoutMs,
      );
    } catch (err) {
      await this.#notAcknowledged(channel, nonce, err);
      return;
    }
    // Saved with the next change: a restart that lost it sends the claim once more, and the
    // peer answers a claim it already holds without booking it again.
    if (channel.acknowledgedNonce < nonce) this.#channels.setAcknowledged(channel, nonce);
    this.#reporter.countClaimAcknowledged();
    this.#reporter.emit({
      type: 'claim-acknowledged',
      peerId: channel.peerId,
      channelId: channel.channelId,
      nonce,
    });
  }

  /** A claim the peer refused (recorded, logged loudly) or did not answer (sent again later). */
  async #notAcknowledged(channel: Readonly<OutgoingChannel>, nonce: bigint, err: unknown): Promise<void> {
    const { logger } = this.#o;
    if (err instanceof BtpRemoteError && !err.btpCode.startsWith('T')) {
      // The peer read it and said no: it is logged loudly; the claim stays valid on chain.
      this.#channels.setAcknowledged(channel, nonce);
      this.#reporter.countClaimRejectedByPeer();
      await this.#channels.save();
      this.#reporter.emit({
        type: 'claim-rejected-by-peer',
        peerId: channel.peerId,
        channelId: channel.channelId,
        nonce,
        message: err.btpData,
      });
      logger.error(
        { peerId: channel.peerId, channelId: channel.channelId, nonce: String(nonce), reason: err.btpData },
        'settlement: the peer refused our claim',
      );
      return;
    }
    logger.warn(
      { peerId: channel.peerId, nonce: String(nonce), err: messageOf(err) },
      'settlement: claim not delivered; it is sent again when the link is back',
    );
  }

  /**
   * The operator's open: a channel to the peer with `deposit` token base units, or the deposit
   * added to the open one. Run it in the peer's queue.
   */
  async openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    const peer = this.#o.peer(peerId);
    if (peer === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw new ConnectorError('ERR_CHANNEL', `peer ${peerId} has no evmAddress: no channel can be opened`);
    if (deposit <= 0n) throw new ConnectorError('ERR_INVALID_ARGUMENT', 'the deposit must be positive');
    const chain = await this.#chains.forPeer(peer);
    const current = this.#channels.currentOutgoing(peerId);
    if (current === undefined || current.chainId !== chain.chainId) {
      const channel = await this.#openOutgoing(peer, chain, deposit);
      return channelView(channel, 'outgoing', this.#chains.nameOf(channel.chainId));
    }
    if (current.status !== 'open')
      throw new ConnectorError('ERR_CHANNEL', `channel ${current.channelId} to ${peerId} is closing`);
    await this.#deposit(chain, current, deposit);
    return channelView(current, 'outgoing', this.#chains.nameOf(current.chainId));
  }
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
