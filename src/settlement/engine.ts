/**
 * The settlement engine (DESIGN §7): turns what the ledger says we owe into signed claims on
 * payment channels, takes peers' claims, and keeps the chain side safe. Nothing here runs on the
 * packet path: the pipeline only tells `fulfilled(peerId)`, which marks the peer for a check a
 * few milliseconds later.
 *
 * Paying (we owe a peer): when what we owe crosses the threshold (or on the polling interval when
 * anything is owed), make sure a channel to the peer's `evmAddress` exists with enough deposit
 * (open or top up on chain), sign the next cumulative claim, save it, move the amount in the
 * ledger (`peer:N` → `own:settlement`, idempotent id from channel and nonce), then send it over
 * BTP sub-protocol `payment-channel-claim`. One claim per peer at a time. A claim the peer did not
 * acknowledge is sent again when the link comes back and on every poll.
 *
 * Being paid: decode, check chain, contract and channel (its sender is the peer's `evmAddress`,
 * its receiver us), verify the signature and that nonce and amount grow within the deposit; save
 * the claim, credit the ledger by the delta (`own:settlement` → `peer:P`), answer. Redeem once
 * `redeemMinimum` is unredeemed, and always when the sender starts a close (the watcher polls
 * every channel on chain, so a close seen after a restart is still answered in time).
 *
 * Restart: the saved state is loaded and the ledger moves of the latest claims are applied again
 * (idempotent ids), so a kill between saving a claim and booking it loses nothing.
 */
import { createHash } from 'node:crypto';
import { type Address, bytesToHex, type Hex, hexToBytes, recoverAddress } from 'viem';
import { BtpRemoteError } from '../btp/index.js';
import { CONTENT_TYPE, type ProtocolData } from '../codec/index.js';
import { type Signer, signatureProblem } from '../keys/index.js';
import type { Ledger } from '../ledger/index.js';
import { TRANSFER_RESULT } from '../ledger/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { tokenNetworkAbi } from './abi.js';
import { type ChainRuntime, type ChainSpec, connectChain, type SettlementSpec } from './chain-setup.js';
import type { ChannelStore, IncomingChannel, OutgoingChannel, SettlementState } from './channel-store.js';
import { type Claim, type ClaimRefusal, signClaim, signCooperativeSettle, verifyClaim } from './claim.js';
import { CLAIM_SUB_PROTOCOL, CLOSE_SUB_PROTOCOL, decodeClaim, encodeClaim } from './claim-codec.js';
import { ChainError } from './errors.js';
import { DEFAULT_CHAIN_RETRY, retryChain } from './retry.js';
import { cooperativeSettleDigest } from './typed-data.js';
import { AssetUnits } from './units.js';

export const SETTLEMENT_ACCOUNT = 'own:settlement';

/** What the engine needs to know about a peer. */
export interface SettlementPeer {
  readonly id: string;
  readonly evmAddress?: string | undefined;
  readonly settlementChain?: string | undefined;
  readonly assetScale: number;
  readonly settleThreshold?: bigint | undefined;
  readonly settleTo?: bigint | undefined;
}

export interface ClaimLink {
  isConnected(peerId: string): boolean;
  request(peerId: string, protocolData: ProtocolData[], timeoutMs?: number): Promise<ProtocolData[]>;
}

export type SettlementEvent =
  | { type: 'chain-ready'; chain: string; chainId: number; tokenNetwork: Address }
  | { type: 'channel-opened'; peerId: string; channelId: Hex; chain: string; deposit: bigint }
  | { type: 'channel-deposit'; peerId: string; channelId: Hex; deposit: bigint }
  | { type: 'claim-sent'; peerId: string; channelId: Hex; nonce: bigint; amount: bigint; ilpAmount: bigint }
  | { type: 'claim-acknowledged'; peerId: string; channelId: Hex; nonce: bigint }
  | { type: 'claim-rejected-by-peer'; peerId: string; channelId: Hex; nonce: bigint; message: string }
  | {
      type: 'claim-received';
      peerId: string;
      channelId: Hex;
      nonce: bigint;
      amount: bigint;
      ilpAmount: bigint;
    }
  | { type: 'claim-refused'; peerId: string; reason: ClaimRefusal | 'unknown-peer'; message: string }
  | { type: 'redeemed'; peerId: string; channelId: Hex; paid: bigint; redeemed: bigint; txHash: Hex }
  | {
      type: 'channel-closing';
      peerId: string;
      channelId: Hex;
      direction: 'incoming' | 'outgoing';
      settleableAt: bigint;
    }
  | { type: 'channel-settled'; peerId: string; channelId: Hex; direction: 'incoming' | 'outgoing' }
  | { type: 'error'; peerId?: string; operation: string; message: string };

export interface SettlementStats {
  claimsSent: number;
  claimsAcknowledged: number;
  /** Our claims the peer answered with a refusal. */
  claimsRejectedByPeer: number;
  claimsReceived: number;
  claimsRefused: Map<string, number>;
  redemptions: number;
  tokensSent: bigint;
  tokensReceived: bigint;
  tokensRedeemed: bigint;
  chainErrors: Map<string, number>;
}

export interface ChannelView {
  readonly direction: 'outgoing' | 'incoming';
  readonly peerId: string;
  readonly chain: string;
  readonly chainId: number;
  readonly tokenNetwork: Address;
  readonly channelId: Hex;
  readonly counterparty: Address;
  readonly status: 'open' | 'closing' | 'settled';
  readonly deposit: bigint;
  readonly nonce: bigint;
  /** Cumulative token base units claimed on the channel. */
  readonly transferred: bigint;
  /** Incoming: redeemed on chain. Outgoing: the newest nonce the peer acknowledged. */
  readonly redeemed?: bigint;
  readonly acknowledgedNonce?: bigint;
  readonly settleableAt: bigint;
}

export interface SettlementEngineOptions {
  readonly spec: SettlementSpec;
  readonly signer: Signer;
  readonly store: ChannelStore;
  readonly ledger: () => Ledger;
  readonly links: ClaimLink;
  readonly peer: (peerId: string) => SettlementPeer | undefined;
  readonly peers: () => Iterable<SettlementPeer>;
  readonly peerAccount: (peerId: string) => string;
  readonly logger: Logger;
  readonly onEvent?: (event: SettlementEvent) => void;
  /** Claim requests over BTP; default 10 s. */
  readonly claimTimeoutMs?: number;
  /** Delay between a Fulfill and the threshold check it triggers; default 10 ms. */
  readonly checkDelayMs?: number;
}

const CLAIM_ACK: ProtocolData[] = [];
const MIN_SETTLE_BACKOFF_MS = 1_000;
/** ~7 hours of Base blocks: where a settled channel's event is looked for. */
const SETTLED_LOOKBACK_BLOCKS = 50_000n;
const STOP_WAIT_MS = 5_000;
const MAX_SETTLE_BACKOFF_MS = 60_000;

export class SettlementEngine {
  readonly address: Address;
  readonly stats: SettlementStats = {
    claimsSent: 0,
    claimsAcknowledged: 0,
    claimsRejectedByPeer: 0,
    claimsReceived: 0,
    claimsRefused: new Map(),
    redemptions: 0,
    tokensSent: 0n,
    tokensReceived: 0n,
    tokensRedeemed: 0n,
    chainErrors: new Map(),
  };
  readonly #o: SettlementEngineOptions;
  readonly #spec: SettlementSpec;
  #state: SettlementState = { outgoing: [], incoming: [] };
  readonly #chains = new Map<string, ChainRuntime>();
  readonly #chainsReady = new Map<string, Promise<ChainRuntime>>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #dirty = new Set<string>();
  #checkTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  readonly #abort = new AbortController();
  #stopped = false;
  readonly #tasks = new Set<Promise<unknown>>();
  #watching: Promise<void> | undefined;
  /** Peers with an automatic settlement queued and not started yet. */
  readonly #waiting = new Set<string>();
  /** Peers whose last settlement failed: threshold checks wait until `untilMs`. */
  readonly #backoff = new Map<string, { delayMs: number; untilMs: number }>();

  constructor(options: SettlementEngineOptions) {
    this.#o = options;
    this.#spec = options.spec;
    this.address = options.signer.address;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────

  /** Loads the saved state and books its latest claims again; chains connect in the background. */
  async start(): Promise<void> {
    this.#state = await this.#o.store.load();
    await this.#ledger().createAccount(SETTLEMENT_ACCOUNT);
    await this.#rebook();
    for (const spec of this.#spec.chains) this.#connect(spec);
    this.#pollTimer = setInterval(() => this.#poll(), this.#spec.pollingIntervalMs);
    this.#watchTimer = setInterval(() => this.#track(this.watch()), this.#spec.watchIntervalMs);
  }

  /** Stops timers and retries; waits for what is in progress (a claim being saved, a tx). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#pollTimer);
    clearInterval(this.#watchTimer);
    clearTimeout(this.#checkTimer);
    this.#abort.abort(new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', 'settlement stopped'));
    // A transaction may wait minutes for its receipt; a stop does not. Leaving one is safe: the
    // state was saved before it was sent, and a restart reads the chain (an opened channel is
    // adopted, a deposit re-read, a claim booked again by its id).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_WAIT_MS);
    });
    const drained = (async () => {
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
      return 'drained' as const;
    })();
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.#o.logger.warn(
        { pending: this.#tasks.size },
        'settlement: stopped with chain calls still pending',
      );
  }

  /** Resolves once the chain is connected (tests and the API wait on it). */
  chainReady(name = this.#spec.defaultChain): Promise<ChainRuntime> {
    const ready = this.#chainsReady.get(name);
    if (ready === undefined)
      return Promise.reject(
        new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `no settlement chain "${name}"`),
      );
    return ready;
  }

  // ── triggers ───────────────────────────────────────────────────────────

  /** Called by the pipeline after a Fulfill to `peerId` was booked: cheap, never blocks. */
  fulfilled(peerId: string): void {
    this.#dirty.add(peerId);
    if (this.#checkTimer !== undefined || this.#stopped) return;
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      const peers = [...this.#dirty];
      this.#dirty.clear();
      for (const id of peers) this.#track(this.settle(id, 'threshold'));
    }, this.#o.checkDelayMs ?? 10);
  }

  /** A link came up: send the peer's unacknowledged claim again. */
  linkUp(peerId: string): void {
    const channel = this.#currentOutgoing(peerId);
    if (channel !== undefined && channel.acknowledgedNonce < channel.nonce)
      this.#track(this.#serial(peerId, () => this.#sendClaim(channel)));
  }

  #poll(): void {
    for (const peer of this.#o.peers()) {
      if (peer.evmAddress === undefined) continue;
      this.#track(this.settle(peer.id, 'poll'));
    }
  }

  // ── paying ─────────────────────────────────────────────────────────────

  /**
   * Settles what we owe `peerId` if the threshold (or, on `poll`, any debt) says so. Resolves with
   * the claim sent, or undefined when nothing was due. Errors are reported, not thrown.
   */
  settle(peerId: string, reason: 'threshold' | 'poll' | 'manual'): Promise<OutgoingChannel | undefined> {
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
    return this.#serial(peerId, () => {
      if (reason !== 'manual') this.#waiting.delete(peerId);
      return this.#settleNow(peerId, reason).then(
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
          this.#report('settle', err, peerId);
          return undefined;
        },
      );
    });
  }

  async #settleNow(
    peerId: string,
    reason: 'threshold' | 'poll' | 'manual',
  ): Promise<OutgoingChannel | undefined> {
    if (this.#stopped) return undefined;
    const peer = this.#o.peer(peerId);
    if (peer?.evmAddress === undefined) return undefined;
    const pending = this.#currentOutgoing(peerId);
    // A claim saved but not booked (a ledger failure): booked before anything is signed on top.
    if (pending !== undefined) await this.#bookPaid(pending);
    // Unacknowledged claims go again on polls and link-ups, not after every Fulfill.
    if (pending !== undefined && reason !== 'threshold' && pending.acknowledgedNonce < pending.nonce)
      await this.#sendClaim(pending);

    const balance = await this.#ledger().getBalance(this.#o.peerAccount(peerId));
    if (balance === undefined) return undefined;
    const owed = balance.creditsPosted - balance.debitsPosted;
    const threshold = peer.settleThreshold ?? this.#spec.thresholdIlp;
    if (reason === 'threshold' && (threshold === undefined || owed < threshold)) return undefined;
    const payIlp = owed - (peer.settleTo ?? 0n);
    if (payIlp <= 0n) return undefined;

    const chain = await this.#chainFor(peer);
    const units = new AssetUnits(peer.assetScale, chain.decimals);
    const tokens = units.toToken(payIlp);
    if (tokens === 0n) return undefined;
    const channel = await this.#outgoingWithRoom(peer, chain, tokens);
    const before = channel.transferred;
    const after = before + tokens;
    const ledgerDelta = units.toIlp(after) - units.toIlp(before);
    const claim = await signClaim(
      this.#o.signer,
      { chainId: chain.chainId, tokenNetwork: chain.network.address, channelId: channel.channelId },
      channel.nonce + 1n,
      after,
    );
    const previous = claimFields(channel);
    channel.nonce = claim.nonce;
    channel.transferredBefore = before;
    channel.transferred = after;
    channel.ledgerDelta = ledgerDelta;
    channel.signature = claim.signature;
    // Saved before anything else: a restart must never sign another claim with this nonce. A
    // claim that could not be saved is forgotten (never sent, never booked).
    await this.#save().catch((err: unknown) => {
      Object.assign(channel, previous);
      throw err;
    });
    await this.#bookPaid(channel);
    this.stats.claimsSent++;
    this.stats.tokensSent += tokens;
    this.#emit({
      type: 'claim-sent',
      peerId,
      channelId: channel.channelId,
      nonce: channel.nonce,
      amount: tokens,
      ilpAmount: ledgerDelta,
    });
    await this.#sendClaim(channel);
    await this.#topUpBelowWatermark(peer, chain, channel);
    return channel;
  }

  /** Tops the channel up ahead of need once its room falls below `topUpWatermark`. */
  async #topUpBelowWatermark(
    peer: SettlementPeer,
    chain: ChainRuntime,
    channel: OutgoingChannel,
  ): Promise<void> {
    const watermark = this.#spec.topUpWatermark;
    if (watermark === 0n || channel.status !== 'open' || channel.deposit - channel.transferred >= watermark)
      return;
    const amount = max(watermark, this.#spec.initialDeposit);
    await chain.network.deposit(channel.channelId, amount);
    channel.deposit += amount;
    await this.#save();
    this.#emit({
      type: 'channel-deposit',
      peerId: peer.id,
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
    let channel = this.#currentOutgoing(peer.id);
    if (channel !== undefined && channel.chainId !== chain.chainId) channel = undefined;
    if (channel?.status === 'closing') {
      throw new ConnectorError('ERR_CHANNEL', `channel ${channel.channelId} to ${peer.id} is closing`);
    }
    if (channel === undefined) channel = await this.#openOutgoing(peer, chain, tokens);
    const room = channel.deposit - channel.transferred;
    if (room < tokens) {
      // The chain may know a deposit we did not save (a kill right after the transaction).
      const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain === undefined || onChain.status !== 'open') {
        channel.status = onChain === undefined ? 'settled' : 'closing';
        await this.#save();
        throw new ConnectorError(
          'ERR_CHANNEL',
          `channel ${channel.channelId} to ${peer.id} is no longer open`,
        );
      }
      channel.deposit = onChain.deposit;
      const missing = tokens - (channel.deposit - channel.transferred);
      if (missing > 0n) {
        const amount = max(missing, this.#spec.initialDeposit);
        await chain.network.deposit(channel.channelId, amount);
        channel.deposit += amount;
        await this.#save();
        this.#emit({
          type: 'channel-deposit',
          peerId: peer.id,
          channelId: channel.channelId,
          deposit: channel.deposit,
        });
      }
    }
    return channel;
  }

  async #openOutgoing(peer: SettlementPeer, chain: ChainRuntime, tokens: bigint): Promise<OutgoingChannel> {
    const receiver = peer.evmAddress as Address;
    // A channel opened just before a kill, never saved: adopt it.
    let channelId = await this.#read(chain, () => chain.network.channelIdOf(this.address, receiver));
    let deposit: bigint;
    let history = { nonce: 0n, redeemed: 0n };
    if (channelId !== undefined) {
      const onChain = await this.#read(chain, () => chain.network.getChannel(channelId!));
      if (onChain !== undefined) history = { nonce: onChain.nonce, redeemed: onChain.redeemed };
      if (onChain?.status !== 'open') {
        throw new ConnectorError(
          'ERR_CHANNEL',
          `the channel to ${peer.id} on ${chain.name} is closing; wait for it to settle`,
        );
      }
      deposit = onChain.deposit;
    } else {
      deposit = max(tokens, this.#spec.initialDeposit);
      const opened = await chain.network.openChannel(receiver, this.#spec.challengePeriodSeconds, deposit);
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
      transferredBefore: history.redeemed,
      ledgerDelta: 0n,
      bookedNonce: history.nonce,
      signature: undefined,
      status: 'open',
      settleableAt: 0n,
      acknowledgedNonce: history.nonce,
    };
    this.#state.outgoing.push(channel);
    await this.#save();
    this.#emit({ type: 'channel-opened', peerId: peer.id, channelId, chain: chain.name, deposit });
    return channel;
  }

  /** Sends the channel's latest claim; an answer records the acknowledgement. Never throws. */
  async #sendClaim(channel: OutgoingChannel): Promise<void> {
    if (channel.signature === undefined || channel.nonce === 0n) return;
    if (!this.#o.links.isConnected(channel.peerId)) return;
    const claim: Claim = {
      chainId: channel.chainId,
      tokenNetwork: channel.tokenNetwork,
      channelId: channel.channelId,
      nonce: channel.nonce,
      transferredAmount: channel.transferred,
      signature: channel.signature,
    };
    const nonce = channel.nonce;
    try {
      await this.#o.links.request(
        channel.peerId,
        [
          {
            protocolName: CLAIM_SUB_PROTOCOL,
            contentType: CONTENT_TYPE.octetStream,
            data: encodeClaim(claim),
          },
        ],
        this.#o.claimTimeoutMs ?? 10_000,
      );
    } catch (err) {
      if (err instanceof BtpRemoteError && !err.btpCode.startsWith('T')) {
        // The peer read it and said no: it is logged loudly; the claim stays valid on chain.
        channel.acknowledgedNonce = nonce;
        await this.#save();
        this.stats.claimsRejectedByPeer++;
        this.#emit({
          type: 'claim-rejected-by-peer',
          peerId: channel.peerId,
          channelId: channel.channelId,
          nonce,
          message: err.btpData,
        });
        this.#o.logger.error(
          { peerId: channel.peerId, channelId: channel.channelId, nonce: String(nonce), reason: err.btpData },
          'settlement: the peer refused our claim',
        );
        return;
      }
      this.#o.logger.warn(
        { peerId: channel.peerId, nonce: String(nonce), err: errorText(err) },
        'settlement: claim not delivered; it is sent again when the link is back',
      );
      return;
    }
    // Saved with the next change: a restart that lost it sends the claim once more, and the
    // peer answers a claim it already holds without booking it again.
    if (channel.acknowledgedNonce < nonce) channel.acknowledgedNonce = nonce;
    this.stats.claimsAcknowledged++;
    this.#emit({ type: 'claim-acknowledged', peerId: channel.peerId, channelId: channel.channelId, nonce });
  }

  // ── being paid ─────────────────────────────────────────────────────────

  /**
   * The BTP handler of sub-protocol `payment-channel-claim`: answers an empty Response when the
   * claim is accepted (or is the one already accepted), a BTP Error F00 naming the reason when not.
   */
  receiveClaim(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#serial(`in:${peerId}`, () => this.#receive(peerId, data).catch(transient));
  }

  async #receive(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    let claim: Claim;
    try {
      claim = decodeClaim(data);
    } catch (err) {
      throw this.#refuse(peerId, 'malformed-claim', errorText(err));
    }
    const peer = this.#o.peer(peerId);
    if (peer === undefined) throw this.#refuse(peerId, 'unknown-peer', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw this.#refuse(peerId, 'wrong-signer', `peer ${peerId} has no evmAddress configured`);
    const chain = [...this.#chains.values()].find((c) => c.chainId === claim.chainId);
    if (chain === undefined) {
      if (this.#chains.size < this.#spec.chains.length) {
        // A chain still connecting (just started, RPC down): not a verdict; the sender retries.
        throw new BtpRemoteError('T00', 'InternalError', 'settlement chains are not all connected yet');
      }
      throw this.#refuse(peerId, 'wrong-chain', `this node does not settle on chain ${claim.chainId}`);
    }
    if (!sameAddress(claim.tokenNetwork, chain.network.address)) {
      throw this.#refuse(
        peerId,
        'wrong-contract',
        `TokenNetwork ${claim.tokenNetwork} is not the registry's ${chain.network.address} on chain ${chain.chainId}`,
      );
    }
    let channel = this.#state.incoming.find(
      (c) => c.channelId.toLowerCase() === claim.channelId.toLowerCase(),
    );
    if (channel !== undefined && channel.peerId !== peerId)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} belongs to another peer`);
    if (channel?.status === 'settled')
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is settled`);
    if (channel?.cooperative !== undefined)
      throw this.#refuse(peerId, 'wrong-channel', `channel ${claim.channelId} is closing cooperatively`);
    if (channel !== undefined) await this.#bookReceived(channel);
    if (
      channel !== undefined &&
      claim.nonce === channel.nonce &&
      claim.signature.toLowerCase() === channel.signature?.toLowerCase()
    )
      return CLAIM_ACK; // the claim we hold, sent again after a lost answer
    // The chain is read for every claim (claims are rare): a channel its sender is closing may
    // no longer be redeemable, and the deposit may have grown.
    const onChain = await this.#read(chain, () => chain.network.getChannel(claim.channelId));
    if (onChain === undefined)
      throw this.#refuse(
        peerId,
        'wrong-channel',
        `channel ${claim.channelId} is not open on chain ${chain.chainId}`,
      );
    if (channel === undefined) {
      if (onChain.challengePeriodSeconds < this.#spec.minChallengePeriodSeconds) {
        // Too short to be sure we answer a close in time (an RPC or node outage).
        throw this.#refuse(
          peerId,
          'wrong-channel',
          `channel ${claim.channelId} has a ${onChain.challengePeriodSeconds} s challenge period, below the ${this.#spec.minChallengePeriodSeconds} s this node requires`,
        );
      }
      if (!sameAddress(onChain.sender, peer.evmAddress) || !sameAddress(onChain.receiver, this.address)) {
        throw this.#refuse(
          peerId,
          'wrong-channel',
          `channel ${claim.channelId} is from ${onChain.sender} to ${onChain.receiver}, not from ${peerId} (${peer.evmAddress}) to us`,
        );
      }
      channel = {
        peerId,
        chainId: chain.chainId,
        tokenNetwork: chain.network.address,
        channelId: claim.channelId,
        sender: onChain.sender,
        deposit: onChain.deposit,
        nonce: 0n,
        transferred: 0n,
        transferredBefore: 0n,
        ledgerDelta: 0n,
        bookedNonce: 0n,
        signature: undefined,
        status: 'open',
        settleableAt: 0n,
        redeemed: onChain.redeemed,
      };
    }
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
    if (onChain.status === 'closing') {
      // Its sender is closing it: the claim counts only once it is redeemed, inside the period.
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

    const units = new AssetUnits(peer.assetScale, chain.decimals);
    const before = channel.transferred;
    const previous = claimFields(channel);
    const known = this.#state.incoming.includes(channel);
    channel.transferredBefore = before;
    channel.transferred = claim.transferredAmount;
    channel.nonce = claim.nonce;
    channel.signature = claim.signature;
    channel.ledgerDelta = units.toIlp(channel.transferred) - units.toIlp(before);
    if (!known) this.#state.incoming.push(channel);
    // A claim that could not be saved is not taken: the sender sends it again.
    await this.#save().catch((err: unknown) => {
      Object.assign(channel, previous);
      if (!known) this.#state.incoming.splice(this.#state.incoming.indexOf(channel), 1);
      throw err;
    });
    await this.#bookReceived(channel);
    this.stats.claimsReceived++;
    this.stats.tokensReceived += verdict.delta;
    this.#emit({
      type: 'claim-received',
      peerId,
      channelId: channel.channelId,
      nonce: channel.nonce,
      amount: verdict.delta,
      ilpAmount: channel.ledgerDelta,
    });
    if (channel.transferred - channel.redeemed >= this.#spec.redeemMinimum) this.#track(this.redeem(channel));
    return CLAIM_ACK;
  }

  /** Redeems a claim on a closing channel before it is credited; why it could not, or undefined. */
  async #redeemBeforeCrediting(
    chain: ChainRuntime,
    claim: Claim,
    settleableAt: bigint,
  ): Promise<string | undefined> {
    const block = await this.#read(chain, () => chain.client.publicClient.getBlock());
    if (block.timestamp >= settleableAt) return 'its challenge period is over';
    try {
      const result = await this.#serial(`redeem:${claim.channelId}`, () => chain.network.redeem(claim));
      this.stats.redemptions++;
      this.stats.tokensRedeemed += result.paid;
      return undefined;
    } catch (err) {
      this.#countChainError(err);
      return `redeeming it failed: ${errorText(err)}`;
    }
  }

  #refuse(peerId: string, reason: ClaimRefusal | 'unknown-peer', message: string): BtpRemoteError {
    this.stats.claimsRefused.set(reason, (this.stats.claimsRefused.get(reason) ?? 0) + 1);
    this.#emit({ type: 'claim-refused', peerId, reason, message });
    this.#o.logger.warn({ peerId, reason, message }, 'settlement: refused a claim from a peer');
    return new BtpRemoteError('F00', 'NotAcceptedError', `claim refused: ${reason}: ${message}`);
  }

  /** Redeems the channel's latest claim on chain; one redemption per channel at a time. */
  redeem(channel: IncomingChannel): Promise<void> {
    return this.#serial(`redeem:${channel.channelId}`, async () => {
      if (channel.signature === undefined || channel.transferred <= channel.redeemed || this.#stopped) return;
      const chain = this.#chainById(channel.chainId);
      if (chain === undefined) return;
      const claim: Claim = {
        chainId: channel.chainId,
        tokenNetwork: channel.tokenNetwork,
        channelId: channel.channelId,
        nonce: channel.nonce,
        transferredAmount: channel.transferred,
        signature: channel.signature,
      };
      try {
        const result = await retryChain('redeem', () => chain.network.redeem(claim), {
          ...DEFAULT_CHAIN_RETRY,
          signal: this.#abort.signal,
        });
        channel.redeemed = claim.transferredAmount;
        await this.#save();
        this.stats.redemptions++;
        this.stats.tokensRedeemed += result.paid;
        this.#emit({
          type: 'redeemed',
          peerId: channel.peerId,
          channelId: channel.channelId,
          paid: result.paid,
          redeemed: channel.redeemed,
          txHash: result.txHash,
        });
      } catch (err) {
        this.#report('redeem', err, channel.peerId);
      }
    });
  }

  // ── the chain side ─────────────────────────────────────────────────────

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
    for (const channel of this.#state.incoming) {
      if (channel.status === 'settled' || this.#stopped) continue;
      await this.#serial(`in:${channel.peerId}`, () => this.#watchIncoming(channel)).catch((err: unknown) =>
        this.#report('watch', err, channel.peerId),
      );
    }
    for (const channel of this.#state.outgoing) {
      if (channel.status === 'settled' || this.#stopped) continue;
      await this.#serial(channel.peerId, () => this.#watchOutgoing(channel)).catch((err: unknown) =>
        this.#report('watch', err, channel.peerId),
      );
    }
  }

  async #watchIncoming(channel: IncomingChannel): Promise<void> {
    if (channel.status === 'settled') return;
    const chain = this.#chainById(channel.chainId);
    if (chain === undefined) return;
    const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
    const agreed = channel.cooperative;
    if (
      agreed !== undefined &&
      onChain !== undefined &&
      (onChain.status === 'closing' || Date.now() - agreed.agreedAtMs >= this.#spec.watchIntervalMs)
    ) {
      // We co-signed a close its sender did not submit (or it closed unilaterally instead): we
      // hold both signatures, and the contract takes them while the channel is open or closing.
      await chain.network.cooperativeSettle(
        channel.channelId,
        agreed.amount,
        agreed.senderSignature,
        agreed.receiverSignature,
      );
      channel.redeemed = agreed.amount;
      channel.status = 'settled';
      await this.#save();
      this.#emit({
        type: 'channel-settled',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'incoming',
      });
      return;
    }
    if (onChain === undefined) {
      // Gone: what its settle paid us is in its ChannelSettled event.
      const paid = await this.#settledPaid(chain, channel.channelId);
      if (paid !== undefined) channel.redeemed += paid;
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
      channel.status = 'settled';
      await this.#save();
      this.#emit({
        type: 'channel-settled',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'incoming',
      });
      return;
    }
    let changed = onChain.deposit !== channel.deposit || onChain.redeemed > channel.redeemed;
    channel.deposit = onChain.deposit;
    if (onChain.redeemed > channel.redeemed) channel.redeemed = onChain.redeemed;
    if (onChain.status === 'closing' && channel.status !== 'closing') {
      channel.status = 'closing';
      channel.settleableAt = onChain.settleableAt;
      changed = true;
      this.#emit({
        type: 'channel-closing',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'incoming',
        settleableAt: onChain.settleableAt,
      });
      this.#o.logger.warn(
        { peerId: channel.peerId, channelId: channel.channelId, settleableAt: String(onChain.settleableAt) },
        'settlement: the peer is closing its channel to us; redeeming its latest claim',
      );
    }
    if (changed) await this.#save();
    const due = channel.transferred - channel.redeemed;
    if (due > 0n && (channel.status === 'closing' || due >= this.#spec.redeemMinimum))
      await this.redeem(channel);
  }

  async #watchOutgoing(channel: OutgoingChannel): Promise<void> {
    const chain = this.#chainById(channel.chainId);
    if (chain === undefined) return;
    const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined) {
      channel.status = 'settled';
      await this.#save();
      this.#emit({
        type: 'channel-settled',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'outgoing',
      });
      return;
    }
    if (onChain.deposit !== channel.deposit) {
      channel.deposit = onChain.deposit;
      await this.#save();
    }
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      await chain.network.cooperativeSettle(
        channel.channelId,
        agreed.amount,
        agreed.senderSignature,
        agreed.receiverSignature,
      );
      channel.status = 'settled';
      await this.#save();
      this.#emit({
        type: 'channel-settled',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'outgoing',
      });
      return;
    }
    if (onChain.status !== 'closing') return;
    if (channel.status !== 'closing') {
      channel.status = 'closing';
      channel.settleableAt = onChain.settleableAt;
      await this.#save();
    }
    const block = await this.#read(chain, () => chain.client.publicClient.getBlock());
    if (block.timestamp >= onChain.settleableAt) {
      await chain.network.settleChannel(channel.channelId);
      channel.status = 'settled';
      await this.#save();
      this.#emit({
        type: 'channel-settled',
        peerId: channel.peerId,
        channelId: channel.channelId,
        direction: 'outgoing',
      });
    }
  }

  // ── operator actions ───────────────────────────────────────────────────

  /** `receiverPaid` of the channel's ChannelSettled event, looked for in the last ~50k blocks. */
  async #settledPaid(chain: ChainRuntime, channelId: Hex): Promise<bigint | undefined> {
    const latest = await this.#read(chain, () => chain.client.publicClient.getBlockNumber());
    const fromBlock = latest > SETTLED_LOOKBACK_BLOCKS ? latest - SETTLED_LOOKBACK_BLOCKS : 0n;
    const events = await this.#read(chain, () =>
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

  /** Opens a channel to the peer with `deposit` token base units, or adds them to the open one. */
  openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    return this.#counted(this.#serial(peerId, () => this.#openChannel(peerId, deposit)));
  }

  async #openChannel(peerId: string, deposit: bigint): Promise<ChannelView> {
    const peer = this.#o.peer(peerId);
    if (peer === undefined) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
    if (peer.evmAddress === undefined)
      throw new ConnectorError('ERR_CHANNEL', `peer ${peerId} has no evmAddress: no channel can be opened`);
    if (deposit <= 0n) throw new ConnectorError('ERR_INVALID_ARGUMENT', 'the deposit must be positive');
    const chain = await this.#chainFor(peer);
    const current = this.#currentOutgoing(peerId);
    if (current === undefined || current.chainId !== chain.chainId) {
      const channel = await this.#openOutgoing(peer, chain, deposit);
      return this.#view(channel, 'outgoing');
    }
    if (current.status !== 'open')
      throw new ConnectorError('ERR_CHANNEL', `channel ${current.channelId} to ${peerId} is closing`);
    await chain.network.deposit(current.channelId, deposit);
    current.deposit += deposit;
    await this.#save();
    this.#emit({ type: 'channel-deposit', peerId, channelId: current.channelId, deposit: current.deposit });
    return this.#view(current, 'outgoing');
  }

  /**
   * Closes the channel with the peer in `direction`. Outgoing: starts the challenge period (the
   * watcher settles it once over). Incoming: redeems the latest claim and settles at once.
   */
  closeChannel(peerId: string, direction: 'outgoing' | 'incoming', cooperative = true): Promise<void> {
    const key = direction === 'outgoing' ? peerId : `in:${peerId}`;
    return this.#counted(this.#serial(key, () => this.#closeChannel(peerId, direction, cooperative)));
  }

  async #closeChannel(
    peerId: string,
    direction: 'outgoing' | 'incoming',
    cooperative: boolean,
  ): Promise<void> {
    if (direction === 'outgoing') {
      const channel = this.#currentOutgoing(peerId);
      if (channel === undefined) throw new ConnectorError('ERR_CHANNEL', `no open channel to ${peerId}`);
      const chain = this.#requireChain(channel.chainId);
      if (cooperative && channel.status === 'open' && (await this.#closeCooperatively(chain, channel)))
        return;
      await chain.network.closeChannel(channel.channelId);
      const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
      channel.status = onChain === undefined ? 'settled' : 'closing';
      channel.settleableAt = onChain?.settleableAt ?? 0n;
      await this.#save();
      return;
    }
    const channel = this.#currentIncoming(peerId);
    if (channel === undefined) throw new ConnectorError('ERR_CHANNEL', `no open channel from ${peerId}`);
    const chain = this.#requireChain(channel.chainId);
    // After any redemption in flight, which would race us with the same proof.
    await this.#serial(`redeem:${channel.channelId}`, async () => {
      const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain === undefined) return; // its sender settled it already
      const agreed = channel.cooperative;
      if (agreed !== undefined) {
        await chain.network.cooperativeSettle(
          channel.channelId,
          agreed.amount,
          agreed.senderSignature,
          agreed.receiverSignature,
        );
        channel.redeemed = agreed.amount;
        return;
      }
      if (channel.signature === undefined || channel.nonce <= onChain.nonce) {
        // Nothing newer than what the chain holds: a proof would revert with StaleProof.
        await chain.network.closeChannel(channel.channelId);
        return;
      }
      await chain.network.closeChannelWithProof({
        chainId: channel.chainId,
        tokenNetwork: channel.tokenNetwork,
        channelId: channel.channelId,
        nonce: channel.nonce,
        transferredAmount: channel.transferred,
        signature: channel.signature,
      });
      channel.redeemed = channel.transferred;
    });
    channel.status = 'settled';
    await this.#save();
    this.#emit({ type: 'channel-settled', peerId, channelId: channel.channelId, direction: 'incoming' });
  }

  /**
   * Cooperative close of our channel: the peer co-signs `CooperativeSettle(channelId, amount)`
   * for the latest claim's amount and the channel settles in one transaction, the rest of the
   * deposit back to us at once. False when the peer does not co-sign (the caller then closes
   * unilaterally); true once settled.
   */
  async #closeCooperatively(chain: ChainRuntime, channel: OutgoingChannel): Promise<boolean> {
    const peerId = channel.peerId;
    if (!this.#o.links.isConnected(peerId)) return false;
    if (channel.acknowledgedNonce < channel.nonce) await this.#sendClaim(channel);
    const ref = {
      chainId: channel.chainId,
      tokenNetwork: channel.tokenNetwork,
      channelId: channel.channelId,
    };
    const amount = channel.transferred;
    const senderSignature = await signCooperativeSettle(this.#o.signer, ref, amount);
    let receiverSignature: Hex;
    try {
      const answer = await this.#o.links.request(
        peerId,
        [
          {
            protocolName: CLOSE_SUB_PROTOCOL,
            contentType: CONTENT_TYPE.octetStream,
            data: encodeClaim({ ...ref, nonce: 0n, transferredAmount: amount, signature: senderSignature }),
          },
        ],
        this.#o.claimTimeoutMs ?? 10_000,
      );
      const entry = answer.find((e) => e.protocolName === CLOSE_SUB_PROTOCOL);
      if (entry === undefined || entry.data.length !== 65)
        throw new Error('the answer holds no 65-byte signature');
      receiverSignature = bytesToHex(entry.data);
      const signer = await recoverAddress({
        hash: cooperativeSettleDigest(ref, amount),
        signature: receiverSignature,
      });
      if (signatureProblem(receiverSignature) !== undefined || !sameAddress(signer, channel.receiver))
        throw new Error(`the co-signature is not ${channel.receiver}'s`);
    } catch (err) {
      this.#o.logger.warn(
        { peerId, channelId: channel.channelId, err: errorText(err) },
        'settlement: the peer did not co-sign a cooperative close; closing unilaterally',
      );
      return false;
    }
    // No claim is signed on it from now on, whatever happens to the transaction; the watcher
    // submits the settle again while the chain says open.
    channel.status = 'closing';
    channel.cooperative = { amount, senderSignature, receiverSignature, agreedAtMs: Date.now() };
    await this.#save();
    try {
      await chain.network.cooperativeSettle(channel.channelId, amount, senderSignature, receiverSignature);
    } catch (err) {
      // The peer may have submitted the same settle first.
      const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
      if (onChain !== undefined) throw err;
    }
    channel.status = 'settled';
    await this.#save();
    this.#emit({ type: 'channel-settled', peerId, channelId: channel.channelId, direction: 'outgoing' });
    return true;
  }

  /**
   * The BTP handler of sub-protocol `payment-channel-close`: co-signs the peer's cooperative
   * close of its channel to us when the amount pays at least every claim we accepted. From then
   * on the channel takes no claim; if the peer does not submit the settle, the watcher does.
   */
  receiveClose(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    return this.#serial(`in:${peerId}`, () => this.#coSign(peerId, data).catch(transient));
  }

  async #coSign(peerId: string, data: Uint8Array): Promise<ProtocolData[]> {
    const refuse = (message: string) => {
      this.#o.logger.warn({ peerId, message }, 'settlement: refused to co-sign a cooperative close');
      return new BtpRemoteError('F00', 'NotAcceptedError', `cooperative close refused: ${message}`);
    };
    let request: Claim;
    try {
      request = decodeClaim(data);
    } catch (err) {
      throw refuse(errorText(err));
    }
    const peer = this.#o.peer(peerId);
    const channel = this.#state.incoming.find((c) => sameHex(c.channelId, request.channelId));
    if (peer?.evmAddress === undefined || channel === undefined || channel.peerId !== peerId)
      throw refuse(`no channel ${request.channelId} from ${peerId}`);
    if (request.chainId !== channel.chainId || !sameAddress(request.tokenNetwork, channel.tokenNetwork))
      throw refuse('chain or TokenNetwork does not match the channel');
    const reply = (signature: Hex): ProtocolData[] => [
      {
        protocolName: CLOSE_SUB_PROTOCOL,
        contentType: CONTENT_TYPE.octetStream,
        data: hexToBytes(signature),
      },
    ];
    const agreed = channel.cooperative;
    if (agreed !== undefined) {
      if (agreed.amount === request.transferredAmount) return reply(agreed.receiverSignature);
      throw refuse(`already agreed to close at ${agreed.amount}`);
    }
    if (channel.status !== 'open') throw refuse(`channel is ${channel.status}`);
    const chain = this.#requireChain(channel.chainId);
    const onChain = await this.#read(chain, () => chain.network.getChannel(channel.channelId));
    if (onChain === undefined || onChain.status !== 'open') throw refuse('channel is not open on chain');
    const ref = {
      chainId: channel.chainId,
      tokenNetwork: channel.tokenNetwork,
      channelId: channel.channelId,
    };
    const amount = request.transferredAmount;
    // Exactly what was accepted (and credited): a larger amount would credit value before the
    // chain pays it, a smaller one would give value away.
    if (amount < channel.transferred)
      throw refuse(`amount ${amount} is below the accepted claims (${channel.transferred})`);
    if (amount > channel.transferred)
      throw refuse(
        `amount ${amount} is above the accepted claims (${channel.transferred}); send the claim first`,
      );
    if (amount > onChain.deposit) throw refuse(`amount ${amount} exceeds the deposit ${onChain.deposit}`);
    if (signatureProblem(request.signature) !== undefined) throw refuse('malformed or malleable signature');
    const signer = await recoverAddress({
      hash: cooperativeSettleDigest(ref, amount),
      signature: request.signature,
    });
    if (!sameAddress(signer, peer.evmAddress)) throw refuse(`signed by ${signer}, not ${peer.evmAddress}`);

    const receiverSignature = await signCooperativeSettle(this.#o.signer, ref, amount);
    channel.cooperative = {
      amount,
      senderSignature: request.signature,
      receiverSignature,
      agreedAtMs: Date.now(),
    };
    channel.status = 'closing';
    await this.#save().catch((err: unknown) => {
      channel.cooperative = undefined;
      channel.status = 'open';
      throw err;
    });
    this.#emit({
      type: 'channel-closing',
      peerId,
      channelId: channel.channelId,
      direction: 'incoming',
      settleableAt: 0n,
    });
    return reply(receiverSignature);
  }

  /** Every channel this node knows, newest last. */
  listChannels(): ChannelView[] {
    return [
      ...this.#state.outgoing.map((c) => this.#view(c, 'outgoing')),
      ...this.#state.incoming.map((c) => this.#view(c, 'incoming')),
    ];
  }

  /** The peer's current channels (not settled) in each direction. */
  channelsOf(peerId: string): { outgoing: ChannelView | undefined; incoming: ChannelView | undefined } {
    const out = this.#currentOutgoing(peerId);
    const inc = this.#currentIncoming(peerId);
    return {
      outgoing: out === undefined ? undefined : this.#view(out, 'outgoing'),
      incoming: inc === undefined ? undefined : this.#view(inc, 'incoming'),
    };
  }

  // ── internals ──────────────────────────────────────────────────────────

  #view(c: OutgoingChannel | IncomingChannel, direction: 'outgoing' | 'incoming'): ChannelView {
    const chain = this.#chainById(c.chainId);
    const common = {
      direction,
      peerId: c.peerId,
      chain: chain?.name ?? String(c.chainId),
      chainId: c.chainId,
      tokenNetwork: c.tokenNetwork,
      channelId: c.channelId,
      status: c.status,
      deposit: c.deposit,
      nonce: c.nonce,
      transferred: c.transferred,
      settleableAt: c.settleableAt,
    };
    return 'receiver' in c
      ? { ...common, counterparty: c.receiver, acknowledgedNonce: c.acknowledgedNonce }
      : { ...common, counterparty: c.sender, redeemed: c.redeemed };
  }

  #currentOutgoing(peerId: string): OutgoingChannel | undefined {
    return this.#state.outgoing.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  #currentIncoming(peerId: string): IncomingChannel | undefined {
    return this.#state.incoming.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  #chainById(chainId: number): ChainRuntime | undefined {
    for (const chain of this.#chains.values()) if (chain.chainId === chainId) return chain;
    return undefined;
  }

  #requireChain(chainId: number): ChainRuntime {
    const chain = this.#chainById(chainId);
    if (chain === undefined)
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain ${chainId} is not connected (yet)`);
    return chain;
  }

  async #chainFor(peer: SettlementPeer): Promise<ChainRuntime> {
    const name = peer.settlementChain ?? this.#spec.defaultChain;
    const chain = this.#chains.get(name);
    if (chain !== undefined) return chain;
    if (!this.#chainsReady.has(name))
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `peer ${peer.id} settles on unknown chain "${name}"`,
      );
    throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain "${name}" is not connected yet`);
  }

  /** Connects in the background, retrying with capped backoff until it works or the node stops. */
  #connect(spec: ChainSpec): void {
    const ready = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const chain = await connectChain(spec, this.#o.signer, this.#spec.chainPollingIntervalMs);
          this.#chains.set(spec.name, chain);
          this.#o.logger.info(
            {
              chain: spec.name,
              chainId: chain.chainId,
              tokenNetwork: chain.network.address,
              address: this.address,
            },
            'settlement: chain connected',
          );
          this.#emit({
            type: 'chain-ready',
            chain: spec.name,
            chainId: chain.chainId,
            tokenNetwork: chain.network.address,
          });
          this.#track(this.watch());
          return chain;
        } catch (err) {
          if (this.#stopped) throw err;
          this.#report('connect', err);
          const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
          await sleep(delay, this.#abort.signal);
        }
      }
    })();
    ready.catch(() => undefined);
    this.#chainsReady.set(spec.name, ready);
    this.#track(ready);
  }

  /** Applies the ledger moves of the latest claims again: 'exists' when they were booked. */
  /**
   * Books again what a kill may have left unbooked: claims saved above `bookedNonce`, and a
   * co-signed close not marked booked. Ids make it idempotent; `bookedNonce` keeps it from
   * reaching back past what the ledger still remembers.
   */
  async #rebook(): Promise<void> {
    for (const c of this.#state.outgoing) await this.#bookPaid(c);
    for (const c of this.#state.incoming) await this.#bookReceived(c);
  }

  /** Books the payer's latest claim if it is not yet (idempotent id), then records that it is. */
  async #bookPaid(c: OutgoingChannel): Promise<void> {
    if (c.nonce <= c.bookedNonce) return;
    await this.#book(paidTransferId(c), this.#o.peerAccount(c.peerId), SETTLEMENT_ACCOUNT, c.ledgerDelta);
    c.bookedNonce = c.nonce;
    await this.#save();
  }

  async #bookReceived(c: IncomingChannel): Promise<void> {
    if (c.nonce <= c.bookedNonce) return;
    await this.#book(receivedTransferId(c), SETTLEMENT_ACCOUNT, this.#o.peerAccount(c.peerId), c.ledgerDelta);
    c.bookedNonce = c.nonce;
    await this.#save();
  }

  async #book(id: bigint, debitAccount: string, creditAccount: string, amount: bigint): Promise<void> {
    if (amount === 0n) return;
    const ledger = this.#ledger();
    if (!ledger.hasAccount(debitAccount) || !ledger.hasAccount(creditAccount)) {
      // A peer removed since: its account is made again so the settlement is not lost.
      await ledger
        .createAccount(debitAccount === SETTLEMENT_ACCOUNT ? creditAccount : debitAccount)
        .catch(() => undefined);
    }
    const result = await ledger.transfer({ id, debitAccount, creditAccount, amount });
    if (result !== TRANSFER_RESULT.ok && result !== TRANSFER_RESULT.exists) {
      throw new ConnectorError(
        'ERR_LEDGER',
        `settlement of ${amount} from ${debitAccount} to ${creditAccount} was refused by the ledger: ${result}`,
      );
    }
  }

  #read<T>(chain: ChainRuntime, call: () => Promise<T>): Promise<T> {
    void chain;
    return retryChain('read', call, { ...DEFAULT_CHAIN_RETRY, signal: this.#abort.signal });
  }

  #save(): Promise<void> {
    pruneSettled(this.#state.outgoing);
    pruneSettled(this.#state.incoming);
    return this.#o.store.save(this.#state);
  }

  #ledger(): Ledger {
    return this.#o.ledger();
  }

  /** Runs `task` after the previous task of `key`; the chain never breaks on a failure. */
  #serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  #track(task: Promise<unknown>): void {
    const t = task.catch(() => undefined);
    this.#tasks.add(t);
    void t.then(() => this.#tasks.delete(t));
  }

  #report(operation: string, err: unknown, peerId?: string): void {
    if (this.#stopped && isAbort(err)) return;
    const message = errorText(err);
    this.#countChainError(err);
    this.#o.logger.error({ operation, peerId, err: message }, `settlement: ${operation} failed`);
    this.#emit({ type: 'error', operation, message, ...(peerId === undefined ? {} : { peerId }) });
  }

  #countChainError(err: unknown): void {
    if (err instanceof ChainError)
      this.stats.chainErrors.set(err.kind, (this.stats.chainErrors.get(err.kind) ?? 0) + 1);
  }

  /** Operator actions throw to their caller; their chain failures are counted all the same. */
  #counted<T>(run: Promise<T>): Promise<T> {
    return run.catch((err: unknown) => {
      this.#countChainError(err);
      throw err;
    });
  }

  #emit(event: SettlementEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch (err) {
      this.#o.logger.error({ err }, 'a settlement event listener threw');
    }
  }
}

/** Ledger transfer ids of settlements: the same claim always books under the same id. */
function transferId(direction: string, channel: { chainId: number; channelId: Hex; nonce: bigint }): bigint {
  const digest = createHash('sha256')
    .update(`settlement:${direction}:${channel.chainId}:${channel.channelId.toLowerCase()}:${channel.nonce}`)
    .digest();
  // 120 bits, never 0 and never 2^128 - 1.
  return (BigInt(`0x${digest.subarray(0, 15).toString('hex')}`) << 8n) | 1n;
}

const paidTransferId = (c: OutgoingChannel) => transferId('paid', c);
const receivedTransferId = (c: IncomingChannel) => transferId('received', c);

/** Settled channels kept per direction (newest); older ones leave the state file. */
const SETTLED_KEPT = 100;

function pruneSettled(channels: { status: string }[]): void {
  let settled = 0;
  for (const c of channels) if (c.status === 'settled') settled++;
  for (let i = 0; settled > SETTLED_KEPT && i < channels.length; ) {
    if (channels[i]!.status === 'settled') {
      channels.splice(i, 1);
      settled--;
    } else i++;
  }
}

/** What a new claim changes on a channel, to put back when it cannot be saved. */
function claimFields(c: OutgoingChannel | IncomingChannel) {
  return {
    nonce: c.nonce,
    transferred: c.transferred,
    transferredBefore: c.transferredBefore,
    ledgerDelta: c.ledgerDelta,
    signature: c.signature,
  };
}

/**
 * A failure that is not a verdict on the claim (the disk, the ledger, the chain out of retries)
 * is answered T00, so the payer sends the claim again instead of taking it as refused.
 */
function transient(err: unknown): never {
  if (err instanceof BtpRemoteError) throw err;
  throw new BtpRemoteError('T00', 'InternalError', `claim not processed: ${errorText(err)}`);
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function sameHex(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isAbort(err: unknown): boolean {
  return err instanceof ConnectorError && err.message.includes('settlement stopped');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
