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
import { messageOf, sameHex } from '../../utils/text.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { ChannelState } from '../chain/token-network.js';
import type { IncomingChannel } from '../channels/channel-store.js';
import { type Claim, type ClaimRefusal, verifyClaim } from '../claims/claim.js';
import { decodeClaim } from '../claims/claim-codec.js';
import { AssetUnits } from '../claims/units.js';
import type { AccountManager } from './account-manager.js';
import type { ChannelWatcher } from './channel-watcher.js';
import { claimFields, type SettlementContext } from './context.js';
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

/** Checks, saves and credits the claims peers send us. */
export class ClaimReceiver {
  readonly #ctx: SettlementContext;
  readonly #accounts: AccountManager;
  readonly #watcher: ChannelWatcher;

  constructor(ctx: SettlementContext, accounts: AccountManager, watcher: ChannelWatcher) {
    this.#ctx = ctx;
    this.#accounts = accounts;
    this.#watcher = watcher;
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-claim`: answers an empty Response when the
   * claim is accepted (or is the one already accepted), a BTP Error F00 naming the reason when not.
   */
  receiveClaim(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#ctx.serial(`in:${peerId}`, () => this.#receive(peerId, data).catch(transient));
  }

  async #receive(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    let claim: Claim;
    try {
      claim = decodeClaim(data);
    } catch (err) {
      throw this.#refuse(peerId, 'malformed-claim', messageOf(err));
    }
    const peer = this.#ctx.options.peer(peerId);
    if (peer === undefined) throw this.#refuse(peerId, 'unknown-peer', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw this.#refuse(peerId, 'wrong-signer', `peer ${peerId} has no evmAddress configured`);
    const chain = this.#chainOf(peerId, claim);
    let channel = this.#knownChannel(peerId, claim);
    if (channel !== undefined) await this.#accounts.bookReceived(channel);
    if (
      channel !== undefined &&
      claim.nonce === channel.nonce &&
      channel.signature !== undefined &&
      sameHex(claim.signature, channel.signature)
    )
      return CLAIM_ACK; // the claim we hold, sent again after a lost answer
    // The chain is read for every claim (claims are rare): a channel its sender is closing may
    // no longer be redeemable, and the deposit may have grown.
    const onChain = await this.#ctx.read(chain, () => chain.network.getChannel(claim.channelId));
    if (onChain === undefined)
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} is not open on chain ${chain.chainId}`,
      );
    channel ??= this.#newChannel(peerId, peer, chain, claim, onChain);
    channel.deposit = onChain.deposit;
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
    const ctx = this.#ctx;
    const chain = [...ctx.chains.values()].find((c) => c.chainId === claim.chainId);
    if (chain === undefined) {
      if (ctx.chains.size < ctx.spec.chains.length) {
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
  #knownChannel(peerId: string, claim: Claim): IncomingChannel | undefined {
    const channel = this.#ctx.state.incoming.find((c) => sameHex(c.channelId, claim.channelId));
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
    const spec = this.#ctx.spec;
    if (onChain.challengePeriodSeconds < spec.minChallengePeriodSeconds) {
      // Too short to be sure we answer a close in time (an RPC or node outage).
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} has a ${onChain.challengePeriodSeconds} s challenge period, below the ${spec.minChallengePeriodSeconds} s this node requires`,
      );
    }
    if (
      !sameHex(onChain.sender, peer.evmAddress as Address) ||
      !sameHex(onChain.receiver, this.#ctx.address)
    ) {
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
    channel: IncomingChannel,
    claim: Claim,
    onChain: ChannelState,
  ): Promise<void> {
    const failed =
      onChain.nonce >= claim.nonce && onChain.redeemed >= claim.transferredAmount
        ? undefined // redeemed already (a kill after redeeming, before saving)
        : await this.#redeemBeforeCrediting(chain, claim, onChain.settleableAt);
    if (failed !== undefined)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is closing: ${failed}`);
    channel.redeemed = claim.transferredAmount;
    channel.status = 'closing';
    channel.settleableAt = onChain.settleableAt;
  }

  /** Redeems a claim on a closing channel before it is credited; why it could not, or undefined. */
  async #redeemBeforeCrediting(
    chain: ChainRuntime,
    claim: Claim,
    settleableAt: bigint,
  ): Promise<string | undefined> {
    const ctx = this.#ctx;
    const block = await ctx.read(chain, () => chain.client.publicClient.getBlock());
    if (block.timestamp >= settleableAt) return 'its challenge period is over';
    try {
      const result = await ctx.serial(`redeem:${claim.channelId}`, () => chain.network.redeem(claim));
      ctx.stats.redemptions++;
      ctx.stats.tokensRedeemed += result.paid;
      return undefined;
    } catch (err) {
      ctx.countChainError(err);
      return `redeeming it failed: ${messageOf(err)}`;
    }
  }

  /** Saves the verified claim, credits its delta and answers; redeems once enough is unredeemed. */
  async #accept(
    peer: SettlementPeer,
    chain: ChainRuntime,
    channel: IncomingChannel,
    claim: Claim,
    delta: bigint,
  ): Promise<void> {
    const ctx = this.#ctx;
    const units = new AssetUnits(peer.assetScale, chain.decimals);
    const before = channel.transferred;
    const previous = claimFields(channel);
    const known = ctx.state.incoming.includes(channel);
    channel.transferred = claim.transferredAmount;
    channel.nonce = claim.nonce;
    channel.signature = claim.signature;
    channel.ledgerDelta = units.toIlp(channel.transferred) - units.toIlp(before);
    if (!known) ctx.state.incoming.push(channel);
    // A claim that could not be saved is not taken: the sender sends it again.
    await ctx.save().catch((err: unknown) => {
      Object.assign(channel, previous);
      if (!known) ctx.state.incoming.splice(ctx.state.incoming.indexOf(channel), 1);
      throw err;
    });
    await this.#accounts.bookReceived(channel);
    ctx.stats.claimsReceived++;
    ctx.stats.tokensReceived += delta;
    ctx.emit({
      type: 'claim-received',
      peerId: channel.peerId,
      channelId: channel.channelId,
      nonce: channel.nonce,
      amount: delta,
      ilpAmount: channel.ledgerDelta,
    });
    if (channel.transferred - channel.redeemed >= ctx.spec.redeemMinimum)
      ctx.track(this.#watcher.redeem(channel));
  }

  #refuse(peerId: string, reason: ClaimRefusal | 'unknown-peer', message: string): BtpRemoteError {
    const ctx = this.#ctx;
    ctx.stats.claimsRefused.set(reason, (ctx.stats.claimsRefused.get(reason) ?? 0) + 1);
    ctx.emit({ type: 'claim-refused', peerId, reason, message });
    ctx.logger.warn({ peerId, reason, message }, 'settlement: refused a claim from a peer');
    return new BtpRemoteError('F00', 'NotAcceptedError', `claim refused: ${reason}: ${message}`);
  }
}
