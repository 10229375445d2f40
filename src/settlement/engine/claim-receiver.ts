/**
 * Being paid: decode, check chain, contract and channel (its sender is the peer's `evmAddress`,
 * its receiver us), verify the signature and that nonce and amount grow within the deposit; save
 * the claim, credit the ledger by the delta (`own:settlement` → `peer:P`), answer. Redeem once
 * `redeemMinimum` is unredeemed, and always when the sender starts a close (the watcher polls
 * every channel on chain, so a close seen after a restart is still answered in time).
 */
import type { Address } from 'viem';
import { BtpRemoteError } from '../../btp/index.js';
import type { ProtocolData } from '../../codec/index.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf, sameHex } from '../../utils/text.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { ChannelState } from '../chain/token-network.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { IncomingChannel } from '../channels/channel-store.js';
import { type Claim, type ClaimRefusal, verifyClaim } from '../claims/claim.js';
import { decodeClaim } from '../claims/claim-codec.js';
import { AssetUnits } from '../claims/units.js';
import type { AccountManager } from './account-manager.js';
import type { ChainConnections } from './chains.js';
import type { ChannelWatcher } from './channel-watcher.js';
import type { Lifecycle } from './lifecycle.js';
import type { SerialQueues } from './queues.js';
import type { Reporter } from './reporter.js';
import type { SettlementSpec } from './spec.js';
import type { SettlementPeer } from './types.js';

const CLAIM_ACK: ProtocolData[] = [];

/**
 * A failure that is not a verdict on the claim (the disk, the ledger, the chain out of retries)
 * is answered T00, so the payer sends the claim again instead of taking it as refused.
 */
export function transient(err: unknown): never {
  if (err instanceof BtpRemoteError) throw err;
  throw new BtpRemoteError('T00', 'InternalError', `claim not processed: ${messageOf(err)}`);
}

export interface ClaimReceiverOptions {
  readonly spec: Pick<SettlementSpec, 'minChallengePeriodSeconds' | 'redeemMinimum'>;
  /** Ours: the receiver every incoming channel must name. */
  readonly address: Address;
  readonly peer: (peerId: string) => SettlementPeer | undefined;
  readonly logger: Logger;
  /** Changes incoming channels: claims taken, the deposit and a close seen on chain. */
  readonly channels: Pick<
    ChannelBook,
    'incomingById' | 'saveClaim' | 'setDeposit' | 'setRedeemed' | 'setStatus'
  >;
  readonly chains: Pick<ChainConnections, 'byId' | 'allConnected' | 'read'>;
  readonly queues: Pick<SerialQueues, 'incoming' | 'redemption'>;
  readonly accounts: Pick<AccountManager, 'bookReceived'>;
  readonly watcher: Pick<ChannelWatcher, 'redeem'>;
  readonly reporter: Pick<
    Reporter,
    'emit' | 'countChainError' | 'countClaimReceived' | 'countClaimRefused' | 'countRedemption'
  >;
  readonly life: Pick<Lifecycle, 'track'>;
}

/** Checks, saves and credits the claims peers send us. */
export class ClaimReceiver {
  readonly #o: ClaimReceiverOptions;
  readonly #channels: ClaimReceiverOptions['channels'];
  readonly #chains: ClaimReceiverOptions['chains'];
  readonly #reporter: ClaimReceiverOptions['reporter'];

  constructor(options: ClaimReceiverOptions) {
    this.#o = options;
    this.#channels = options.channels;
    this.#chains = options.chains;
    this.#reporter = options.reporter;
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-claim`: answers an empty Response when the
   * claim is accepted (or is the one already accepted), a BTP Error F00 naming the reason when not.
   */
  receiveClaim(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#o.queues.incoming(peerId, () => this.#receive(peerId, data).catch(transient));
  }

  async #receive(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    let claim: Claim;
    try {
      claim = decodeClaim(data);
    } catch (err) {
      throw this.#refuse(peerId, 'malformed-claim', messageOf(err));
    }
    const peer = this.#o.peer(peerId);
    if (peer === undefined) throw this.#refuse(peerId, 'unknown-peer', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw this.#refuse(peerId, 'wrong-signer', `peer ${peerId} has no evmAddress configured`);
    const chain = this.#chainOf(peerId, claim);
    let channel = this.#knownChannel(peerId, claim);
    if (channel !== undefined) await this.#o.accounts.bookReceived(channel);
    if (
      channel !== undefined &&
      claim.nonce === channel.nonce &&
      channel.signature !== undefined &&
      sameHex(claim.signature, channel.signature)
    )
      return CLAIM_ACK; // the claim we hold, sent again after a lost answer
    // The chain is read for every claim (claims are rare): a channel its sender is closing may
    // no longer be redeemable, and the deposit may have grown.
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(claim.channelId));
    if (onChain === undefined)
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} is not open on chain ${chain.chainId}`,
      );
    channel ??= this.#newChannel(peerId, peer, chain, claim, onChain);
    this.#channels.setDeposit(channel, onChain.deposit);
    const verdict = await verifyClaim(claim, {
      chainId: chain.chainId,
      tokenNetwork: chain.network.address,
      channelId: channel.channelId,
      sender: peer.evmAddress as Address,
      deposit: channel.deposit,
      lastNonce: channel.nonce,
      lastAmount: channel.transferred,
    });
    if (!verdict.ok) throw this.#refuse(peerId, verdict.reason, verdict.message);
    if (onChain.status === 'closing') await this.#redeemOnClosing(peerId, chain, channel, claim, onChain);
    await this.#accept(peer, chain, channel, claim, verdict.delta);
    return CLAIM_ACK;
  }

  /** The connected chain the claim names, with the registry's TokenNetwork. */
  #chainOf(peerId: string, claim: Claim): ChainRuntime {
    const chain = this.#chains.byId(claim.chainId);
    if (chain === undefined) {
      if (!this.#chains.allConnected()) {
        // A chain still connecting (just started, RPC down): not a verdict; the sender retries.
        throw new BtpRemoteError('T00', 'InternalError', 'settlement chains are not all connected yet');
      }
      throw this.#refuse(peerId, 'wrong-chain', `this node does not settle on chain ${claim.chainId}`);
    }
    if (!sameHex(claim.tokenNetwork, chain.network.address)) {
      throw this.#refuse(
        peerId,
        'wrong-contract',
        `TokenNetwork ${claim.tokenNetwork} is not the registry's ${chain.network.address} on chain ${chain.chainId}`,
      );
    }
    return chain;
  }

  /** The channel the claim is on, if we hold one, when it may still take claims from this peer. */
  #knownChannel(peerId: string, claim: Claim): Readonly<IncomingChannel> | undefined {
    const channel = this.#channels.incomingById(claim.channelId);
    if (channel !== undefined && channel.peerId !== peerId)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} belongs to another peer`);
    if (channel?.status === 'settled')
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is settled`);
    if (channel?.cooperative !== undefined)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is closing cooperatively`);
    return channel;
  }

  /** A channel seen for the first time: from the peer to us, with a long enough challenge period. */
  #newChannel(
    peerId: string,
    peer: SettlementPeer,
    chain: ChainRuntime,
    claim: Claim,
    onChain: ChannelState,
  ): IncomingChannel {
    const spec = this.#o.spec;
    if (onChain.challengePeriodSeconds < spec.minChallengePeriodSeconds) {
      // Too short to be sure we answer a close in time (an RPC or node outage).
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} has a ${onChain.challengePeriodSeconds} s challenge period, below the ${spec.minChallengePeriodSeconds} s this node requires`,
      );
    }
    if (!sameHex(onChain.sender, peer.evmAddress as Address) || !sameHex(onChain.receiver, this.#o.address)) {
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} is from ${onChain.sender} to ${onChain.receiver}, not from ${peerId} (${peer.evmAddress}) to us`,
      );
    }
    return {
      peerId,
      chainId: chain.chainId,
      tokenNetwork: chain.network.address,
      channelId: claim.channelId,
      sender: onChain.sender,
      deposit: onChain.deposit,
      nonce: 0n,
      transferred: 0n,
      ledgerDelta: 0n,
      bookedNonce: 0n,
      signature: undefined,
      status: 'open',
      settleableAt: 0n,
      redeemed: onChain.redeemed,
    };
  }

  /** Its sender is closing the channel: the claim counts only once it is redeemed, inside the period. */
  async #redeemOnClosing(
    peerId: string,
    chain: ChainRuntime,
    channel: Readonly<IncomingChannel>,
    claim: Claim,
    onChain: ChannelState,
  ): Promise<void> {
    const failed =
      onChain.nonce >= claim.nonce && onChain.redeemed >= claim.transferredAmount
        ? undefined // redeemed already (a kill after redeeming, before saving)
        : await this.#redeemBeforeCrediting(peerId, chain, claim, onChain.settleableAt);
    if (failed !== undefined)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is closing: ${failed}`);
    this.#channels.setRedeemed(channel, claim.transferredAmount);
    this.#channels.setStatus(channel, 'closing', onChain.settleableAt);
  }

  /** Redeems a claim on a closing channel before it is credited; why it could not, or undefined. */
  async #redeemBeforeCrediting(
    peerId: string,
    chain: ChainRuntime,
    claim: Claim,
    settleableAt: bigint,
  ): Promise<string | undefined> {
    const block = await this.#chains.read(chain, () => chain.client.publicClient.getBlock());
    if (block.timestamp >= settleableAt) return 'its challenge period is over';
    try {
      const result = await this.#o.queues.redemption(claim.channelId, () => chain.network.redeem(claim));
      this.#reporter.countRedemption();
      this.#reporter.emit({
        type: 'redeemed',
        peerId,
        channelId: claim.channelId,
        paid: result.paid,
        redeemed: claim.transferredAmount,
        txHash: result.txHash,
      });
      return undefined;
    } catch (err) {
      this.#reporter.countChainError(err);
      return `redeeming it failed: ${messageOf(err)}`;
    }
  }

  /** Saves the verified claim, credits its delta and answers; redeems once enough is unredeemed. */
  async #accept(
    peer: SettlementPeer,
    chain: ChainRuntime,
    channel: Readonly<IncomingChannel>,
    claim: Claim,
    delta: bigint,
  ): Promise<void> {
    const units = new AssetUnits(peer.assetScale, chain.decimals);
    // A claim that could not be saved is not taken (nor a new channel kept): the sender sends it again.
    await this.#channels.saveClaim(channel, {
      nonce: claim.nonce,
      transferred: claim.transferredAmount,
      ledgerDelta: units.toIlp(claim.transferredAmount) - units.toIlp(channel.transferred),
      signature: claim.signature,
    });
    // Counted there, in the save that records the booking.
    await this.#o.accounts.bookReceived(channel);
    this.#reporter.emit({
      type: 'claim-received',
      peerId: channel.peerId,
      channelId: channel.channelId,
      nonce: channel.nonce,
      amount: delta,
      ilpAmount: channel.ledgerDelta,
    });
    if (channel.transferred - channel.redeemed >= this.#o.spec.redeemMinimum)
      this.#o.life.track(this.#o.watcher.redeem(channel));
  }

  #refuse(peerId: string, reason: ClaimRefusal | 'unknown-peer', message: string): BtpRemoteError {
    this.#reporter.countClaimRefused(reason);
    this.#reporter.emit({ type: 'claim-refused', peerId, reason, message });
    this.#o.logger.warn({ peerId, reason, message }, 'settlement: refused a claim from a peer');
    return new BtpRemoteError('F00', 'NotAcceptedError', `claim refused: ${reason}: ${message}`);
  }
}
