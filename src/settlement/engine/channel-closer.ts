// Over 300 lines: both ends of a close (ours, and co-signing a peer's) share their checks and wire form.
/**
 * Closing channels. Our own (outgoing): first a cooperative close over BTP sub-protocol
 * `payment-channel-close` (the peer co-signs `CooperativeSettle(channelId, amount)` and one
 * transaction settles), else a unilateral close whose challenge period the watcher waits out.
 * A peer's (incoming): redeem its latest claim and settle at once. And the receiver's side of
 * `payment-channel-close`: co-signing the peer's cooperative close.
 */
import { bytesToHex, type Hex, hexToBytes, recoverAddress } from 'viem';
import { BtpRemoteError } from '../../btp/index.js';
import { CONTENT_TYPE, type ProtocolData } from '../../codec/index.js';
import type { Signer } from '../../keys/index.js';
import { signatureProblem } from '../../keys/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf, sameHex } from '../../utils/text.js';
import { type ChainRuntime, submitCooperativeClose } from '../chain/runtime.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { type Claim, latestClaim, signCooperativeSettle } from '../claims/claim.js';
import { CLOSE_SUB_PROTOCOL, decodeClaim, encodeClaim } from '../claims/claim-codec.js';
import { cooperativeSettleDigest } from '../claims/typed-data.js';
import type { ChainConnections } from './chains.js';
import { transient } from './claim-receiver.js';
import type { UnifiedSettlementExecutor } from './executor.js';
import type { SerialQueues } from './queues.js';
import type { Reporter } from './reporter.js';
import type { ClaimLink, SettlementPeer } from './types.js';

export interface CloserOptions {
  readonly signer: Signer;
  readonly links: ClaimLink;
  readonly peer: (peerId: string) => SettlementPeer | undefined;
  readonly claimTimeoutMs: number;
  readonly logger: Logger;
  /** Changes a closing channel: its status, a co-signed close, what its settle redeemed. */
  readonly channels: Pick<
    ChannelBook,
    | 'currentOutgoing'
    | 'currentIncoming'
    | 'incomingById'
    | 'setStatus'
    | 'setCooperative'
    | 'setRedeemed'
    | 'save'
  >;
  readonly chains: Pick<ChainConnections, 'require' | 'read'>;
  readonly queues: Pick<SerialQueues, 'outgoing' | 'incoming' | 'redemption'>;
  readonly executor: Pick<UnifiedSettlementExecutor, 'sendClaim'>;
  readonly reporter: Pick<Reporter, 'emit' | 'counted'>;
  /** Asks for a watch pass when a challenge period we started ends (wall clock, ms). */
  readonly wake: (atMs: number) => void;
}

/** Closes channels in either direction, cooperatively when the peer co-signs. */
export class ChannelCloser {
  readonly #o: CloserOptions;
  readonly #channels: CloserOptions['channels'];
  readonly #chains: CloserOptions['chains'];

  constructor(options: CloserOptions) {
    this.#o = options;
    this.#channels = options.channels;
    this.#chains = options.chains;
  }

  /**
   * Closes the channel with the peer in `direction`. Outgoing: starts the challenge period (the
   * watcher settles it once over). Incoming: redeems the latest claim and settles at once.
   */
  closeChannel(peerId: string, direction: 'outgoing' | 'incoming', cooperative: boolean): Promise<void> {
    const { queues, reporter } = this.#o;
    return reporter.counted(
      direction === 'outgoing'
        ? queues.outgoing(peerId, () => this.#closeOutgoing(peerId, cooperative))
        : queues.incoming(peerId, () => this.#closeIncoming(peerId)),
    );
  }

  async #closeOutgoing(peerId: string, cooperative: boolean): Promise<void> {
    const channels = this.#channels;
    const channel = channels.currentOutgoing(peerId);
    if (channel === undefined) throw new ConnectorError('ERR_CHANNEL', `no open channel to ${peerId}`);
    const chain = this.#chains.require(channel.chainId);
    if (cooperative && channel.status === 'open' && (await this.#closeCooperatively(chain, channel))) return;
    await chain.network.closeChannel(channel.channelId);
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    channels.setStatus(channel, onChain === undefined ? 'settled' : 'closing', onChain?.settleableAt ?? 0n);
    await channels.save();
    if (onChain !== undefined) {
      this.#o.reporter.emit({
        type: 'channel-closing',
        peerId,
        channelId: channel.channelId,
        direction: 'outgoing',
        settleableAt: onChain.settleableAt,
      });
      this.#o.wake(Number(onChain.settleableAt) * 1000);
    }
  }

  async #closeIncoming(peerId: string): Promise<void> {
    const channels = this.#channels;
    const channel = channels.currentIncoming(peerId);
    if (channel === undefined) throw new ConnectorError('ERR_CHANNEL', `no open channel from ${peerId}`);
    const chain = this.#chains.require(channel.chainId);
    // After any redemption in flight, which would race us with the same proof.
    await this.#o.queues.redemption(channel.channelId, () => this.#settleIncoming(chain, channel));
    await this.#markSettled(peerId, channel, 'incoming');
  }

  /** Settles a peer's channel to us with the co-signed close, or closes it with our latest claim. */
  /** Saved as settled, then reported: a settled channel takes no claim. */
  async #markSettled(
    peerId: string,
    channel: Readonly<IncomingChannel | OutgoingChannel>,
    direction: 'incoming' | 'outgoing',
  ): Promise<void> {
    this.#channels.setStatus(channel, 'settled');
    await this.#channels.save();
    this.#o.reporter.emit({ type: 'channel-settled', peerId, channelId: channel.channelId, direction });
  }

  async #settleIncoming(chain: ChainRuntime, channel: Readonly<IncomingChannel>): Promise<void> {
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined) return; // its sender settled it already
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      await submitCooperativeClose(chain, channel.channelId, agreed);
      this.#channels.setRedeemed(channel, agreed.amount);
      return;
    }
    if (channel.signature === undefined || channel.nonce <= onChain.nonce) {
      // Nothing newer than what the chain holds: a proof would revert with StaleProof.
      await chain.network.closeChannel(channel.channelId);
      return;
    }
    await chain.network.closeChannelWithProof(latestClaim(channel, channel.signature));
    this.#channels.setRedeemed(channel, channel.transferred);
  }

  /**
   * Cooperative close of our channel: the peer co-signs `CooperativeSettle(channelId, amount)`
   * for the latest claim's amount and the channel settles in one transaction, the rest of the
   * deposit back to us at once. False when the peer does not co-sign (the caller then closes
   * unilaterally); true once settled.
   */
  async #closeCooperatively(chain: ChainRuntime, channel: Readonly<OutgoingChannel>): Promise<boolean> {
    const channels = this.#channels;
    const peerId = channel.peerId;
    if (!this.#o.links.isConnected(peerId)) return false;
    if (channel.acknowledgedNonce < channel.nonce) await this.#o.executor.sendClaim(channel);
    const amount = channel.transferred;
    const senderSignature = await signCooperativeSettle(this.#o.signer, refOf(channel), amount);
    let receiverSignature: Hex;
    try {
      receiverSignature = await this.#askCoSignature(channel, amount, senderSignature);
    } catch (err) {
      this.#o.logger.warn(
        { peerId, channelId: channel.channelId, err: messageOf(err) },
        'settlement: the peer did not co-sign a cooperative close; closing unilaterally',
      );
      return false;
    }
    // No claim is signed on it from now on, whatever happens to the transaction; the watcher
    // submits the settle again while the chain says open.
    channels.setStatus(channel, 'closing');
    channels.setCooperative(channel, { amount, senderSignature, receiverSignature, agreedAtMs: Date.now() });
    await channels.save();
    try {
      await chain.network.cooperativeSettle(channel.channelId, amount, senderSignature, receiverSignature);
    } catch (err) {
      // The peer may have submitted the same settle first.
      const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain !== undefined) throw err;
    }
    await this.#markSettled(peerId, channel, 'outgoing');
    return true;
  }

  /** Asks the peer to co-sign our close at `amount`; its 65-byte signature, checked, or throws. */
  async #askCoSignature(
    channel: Readonly<OutgoingChannel>,
    amount: bigint,
    senderSignature: Hex,
  ): Promise<Hex> {
    const ref = refOf(channel);
    const answer = await this.#o.links.request(
      channel.peerId,
      [
        {
          protocolName: CLOSE_SUB_PROTOCOL,
          contentType: CONTENT_TYPE.octetStream,
          data: encodeClaim({ ...ref, nonce: 0n, transferredAmount: amount, signature: senderSignature }),
        },
      ],
      this.#o.claimTimeoutMs,
    );
    const entry = answer.find((e) => e.protocolName === CLOSE_SUB_PROTOCOL);
    if (entry === undefined || entry.data.length !== 65)
      throw new Error('the answer holds no 65-byte signature');
    const receiverSignature = bytesToHex(entry.data);
    const signer = await recoverAddress({
      hash: cooperativeSettleDigest(ref, amount),
      signature: receiverSignature,
    });
    if (signatureProblem(receiverSignature) !== undefined || !sameHex(signer, channel.receiver))
      throw new Error(`the co-signature is not ${channel.receiver}'s`);
    return receiverSignature;
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-close`: co-signs the peer's cooperative
   * close of its channel to us when the amount pays at least every claim we accepted. From then
   * on the channel takes no claim; if the peer does not submit the settle, the watcher does.
   */
  receiveClose(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#o.queues.incoming(peerId, () => this.#coSign(peerId, data).catch(transient));
  }

  async #coSign(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    const channels = this.#channels;
    let request: Claim;
    try {
      request = decodeClaim(data);
    } catch (err) {
      throw this.#refuseClose(peerId, messageOf(err));
    }
    const peer = this.#o.peer(peerId);
    const channel = channels.incomingById(request.channelId);
    if (peer?.evmAddress === undefined || channel === undefined || channel.peerId !== peerId)
      throw this.#refuseClose(peerId, `no channel ${request.channelId} from ${peerId}`);
    if (request.chainId !== channel.chainId || !sameHex(request.tokenNetwork, channel.tokenNetwork))
      throw this.#refuseClose(peerId, 'chain or TokenNetwork does not match the channel');
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      if (agreed.amount === request.transferredAmount) return closeReply(agreed.receiverSignature);
      throw this.#refuseClose(peerId, `already agreed to close at ${agreed.amount}`);
    }
    if (channel.status !== 'open') throw this.#refuseClose(peerId, `channel is ${channel.status}`);
    await this.#checkCloseRequest(peerId, peer.evmAddress, channel, request);

    const amount = request.transferredAmount;
    const receiverSignature = await signCooperativeSettle(this.#o.signer, refOf(channel), amount);
    channels.setCooperative(channel, {
      amount,
      senderSignature: request.signature,
      receiverSignature,
      agreedAtMs: Date.now(),
    });
    channels.setStatus(channel, 'closing');
    await channels.save().catch((err: unknown) => {
      channels.setCooperative(channel, undefined);
      channels.setStatus(channel, 'open');
      throw err;
    });
    this.#o.reporter.emit({
      type: 'channel-closing',
      peerId,
      channelId: channel.channelId,
      direction: 'incoming',
      settleableAt: 0n,
    });
    return closeReply(receiverSignature);
  }

  /** Throws the refusal unless the channel is open on chain and the request is signed by the peer for exactly what we accepted. */
  async #checkCloseRequest(
    peerId: string,
    evmAddress: string,
    channel: Readonly<IncomingChannel>,
    request: Claim,
  ): Promise<void> {
    const chain = this.#chains.require(channel.chainId);
    const onChain = await this.#chains.read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined || onChain.status !== 'open')
      throw this.#refuseClose(peerId, 'channel is not open on chain');
    const amount = request.transferredAmount;
    // Exactly what was accepted (and credited): a larger amount would credit value before the
    // chain pays it, a smaller one would give value away.
    if (amount < channel.transferred)
      throw this.#refuseClose(
        peerId,
        `amount ${amount} is below the accepted claims (${channel.transferred})`,
      );
    if (amount > channel.transferred)
      throw this.#refuseClose(
        peerId,
        `amount ${amount} is above the accepted claims (${channel.transferred}); send the claim first`,
      );
    if (amount > onChain.deposit)
      throw this.#refuseClose(peerId, `amount ${amount} exceeds the deposit ${onChain.deposit}`);
    if (signatureProblem(request.signature) !== undefined)
      throw this.#refuseClose(peerId, 'malformed or malleable signature');
    const signer = await recoverAddress({
      hash: cooperativeSettleDigest(refOf(channel), amount),
      signature: request.signature,
    });
    if (!sameHex(signer, evmAddress))
      throw this.#refuseClose(peerId, `signed by ${signer}, not ${evmAddress}`);
  }

  #refuseClose(peerId: string, message: string): BtpRemoteError {
    this.#o.logger.warn({ peerId, message }, 'settlement: refused to co-sign a cooperative close');
    return new BtpRemoteError('F00', 'NotAcceptedError', `cooperative close refused: ${message}`);
  }
}

function refOf(channel: Readonly<OutgoingChannel> | Readonly<IncomingChannel>) {
  return { chainId: channel.chainId, tokenNetwork: channel.tokenNetwork, channelId: channel.channelId };
}

function closeReply(signature: Hex): ProtocolData[] {
  return [
    { protocolName: CLOSE_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data: hexToBytes(signature) },
  ];
}
