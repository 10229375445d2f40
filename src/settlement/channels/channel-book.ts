/**
 * The node's channels in memory, and their one writer. Every change to a channel, and to the
 * lists, is a method here, so each change has a name and one place; the engine's parts hold
 * channels read-only and call `save()` when a change must be durable before they act outside the
 * process (the order of saves is theirs to decide: it is what makes a kill lose nothing).
 * Saving keeps the newest 100 settled channels per direction.
 */
import type { Hex } from 'viem';
import { sameHex } from '../../utils/text.js';
import type {
  ChannelStatus,
  ChannelStore,
  CooperativeClose,
  IncomingChannel,
  OutgoingChannel,
  PrunedTotals,
  SavedCounts,
  SettlementState,
} from './channel-store.js';

/** Settled channels kept per direction (newest); older ones leave the state file. */
const SETTLED_KEPT = 100;

/** What a new claim changes on a channel. */
export interface ClaimFields {
  readonly nonce: bigint;
  readonly transferred: bigint;
  readonly ledgerDelta: bigint;
  readonly signature: Hex;
}

type Channel = OutgoingChannel | IncomingChannel;

/** Channels per direction: every one this node has had (opened), and those settled since. */
export interface ChannelCounts {
  readonly outgoing: { readonly opened: number; readonly settled: number };
  readonly incoming: { readonly opened: number; readonly settled: number };
}

/** Channels and claims in memory, saved through the ChannelStore; one per engine. */
export class ChannelBook {
  readonly #store: ChannelStore;
  /** The engine's event counters, written into every save (their owner is the engine's Reporter). */
  readonly #counts: () => SavedCounts | undefined;
  /** Replaced by the saved state at `load()`; never handed out whole. */
  #state: SettlementState = { outgoing: [], incoming: [] };

  constructor(store: ChannelStore, counts: () => SavedCounts | undefined = () => undefined) {
    this.#store = store;
    this.#counts = counts;
  }

  /** Replaces what is in memory with the saved state. */
  async load(): Promise<void> {
    this.#state = await this.#store.load();
  }

  /** The event counters of the last save (read them after `load()`), undefined if it had none. */
  savedCounts(): SavedCounts | undefined {
    return this.#state.counts;
  }

  /**
   * Saves every channel as it is now (dropping old settled ones) and the event counters as they
   * are now; resolves once durable.
   */
  save(): Promise<void> {
    this.#state.pruned ??= { tokensSent: 0n, tokensReceived: 0n, tokensRedeemed: 0n };
    const pruned = this.#state.pruned;
    for (const c of pruneSettled(this.#state.outgoing)) {
      pruned.tokensSent += c.transferred;
      pruned.outgoingChannels = (pruned.outgoingChannels ?? 0) + 1;
    }
    for (const c of pruneSettled(this.#state.incoming)) {
      pruned.tokensReceived += c.transferred;
      pruned.tokensRedeemed += c.redeemed;
      pruned.incomingChannels = (pruned.incomingChannels ?? 0) + 1;
    }
    const counts = this.#counts();
    if (counts !== undefined) this.#state.counts = counts;
    return this.#store.save(this.#state);
  }

  /**
   * Token base units ever claimed to peers (sent), claimed by peers to us (received) and redeemed
   * on chain, from the saved channels (and those pruned from the file): they survive a restart.
   */
  totals(): Pick<PrunedTotals, 'tokensSent' | 'tokensReceived' | 'tokensRedeemed'> {
    const p = this.#state.pruned;
    const totals = {
      tokensSent: p?.tokensSent ?? 0n,
      tokensReceived: p?.tokensReceived ?? 0n,
      tokensRedeemed: p?.tokensRedeemed ?? 0n,
    };
    for (const c of this.#state.outgoing) totals.tokensSent += c.transferred;
    for (const c of this.#state.incoming) {
      totals.tokensReceived += c.transferred;
      totals.tokensRedeemed += c.redeemed;
    }
    return totals;
  }

  /** Channels opened and settled per direction, from the channels in memory and those pruned. */
  channelCounts(): ChannelCounts {
    const p = this.#state.pruned;
    const count = (list: readonly { status: ChannelStatus }[], pruned: number) => {
      let settled = pruned;
      for (const c of list) if (c.status === 'settled') settled++;
      return { opened: list.length + pruned, settled };
    };
    return {
      outgoing: count(this.#state.outgoing, p?.outgoingChannels ?? 0),
      incoming: count(this.#state.incoming, p?.incomingChannels ?? 0),
    };
  }

  // ── reading ────────────────────────────────────────────────────────────

  /** Every channel we pay into, oldest first (the live list: a pass over it sees additions). */
  get outgoing(): readonly Readonly<OutgoingChannel>[] {
    return this.#state.outgoing;
  }

  /** Every channel a peer pays into, oldest first (the live list). */
  get incoming(): readonly Readonly<IncomingChannel>[] {
    return this.#state.incoming;
  }

  currentOutgoing(peerId: string): Readonly<OutgoingChannel> | undefined {
    return this.#state.outgoing.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  currentIncoming(peerId: string): Readonly<IncomingChannel> | undefined {
    return this.#state.incoming.findLast((c) => c.peerId === peerId && c.status !== 'settled');
  }

  incomingById(channelId: Hex): Readonly<IncomingChannel> | undefined {
    return this.#state.incoming.find((c) => sameHex(c.channelId, channelId));
  }

  // ── changes ────────────────────────────────────────────────────────────

  /** A channel we just opened (or adopted from the chain). */
  addOutgoing(channel: OutgoingChannel): void {
    this.#state.outgoing.push(channel);
  }

  /**
   * Puts the channel's new claim in place and saves it; a claim that cannot be saved is undone
   * (and an incoming channel seen for the first time dropped again), and the save's error thrown.
   */
  async saveClaim(channel: Channel, claim: ClaimFields): Promise<void> {
    const previous = claimFields(channel);
    const added = 'sender' in channel && !this.#state.incoming.includes(channel);
    channel.nonce = claim.nonce;
    channel.transferred = claim.transferred;
    channel.ledgerDelta = claim.ledgerDelta;
    channel.signature = claim.signature;
    if (added) this.#state.incoming.push(channel as IncomingChannel);
    await this.save().catch((err: unknown) => {
      Object.assign(channel, previous);
      if (added) this.#state.incoming.splice(this.#state.incoming.indexOf(channel as IncomingChannel), 1);
      throw err;
    });
  }

  /** The latest claim's ledger move is booked. */
  markBooked(channel: Channel): void {
    channel.bookedNonce = channel.nonce;
  }

  /** The peer answered our claim `nonce` (accepted or refused it). */
  setAcknowledged(channel: OutgoingChannel, nonce: bigint): void {
    channel.acknowledgedNonce = nonce;
  }

  setDeposit(channel: Channel, deposit: bigint): void {
    channel.deposit = deposit;
  }

  setRedeemed(channel: IncomingChannel, redeemed: bigint): void {
    channel.redeemed = redeemed;
  }

  /** The channel's status; `settleableAt` too when given. */
  setStatus(channel: Channel, status: ChannelStatus, settleableAt?: bigint): void {
    channel.status = status;
    if (settleableAt !== undefined) channel.settleableAt = settleableAt;
  }

  /** A co-signed cooperative close, or undefined to forget one not saved. */
  setCooperative(channel: Channel, agreed: CooperativeClose | undefined): void {
    channel.cooperative = agreed;
  }
}

/** What a new claim changes on a channel, to put back when it cannot be saved. */
function claimFields(c: Channel) {
  return {
    nonce: c.nonce,
    transferred: c.transferred,
    ledgerDelta: c.ledgerDelta,
    signature: c.signature,
  };
}

/** Drops the oldest settled channels beyond SETTLED_KEPT; returns the ones dropped. */
function pruneSettled<C extends { status: string }>(channels: C[]): C[] {
  const dropped: C[] = [];
  let settled = 0;
  for (const c of channels) if (c.status === 'settled') settled++;
  for (let i = 0; settled > SETTLED_KEPT && i < channels.length; ) {
    if (channels[i]!.status === 'settled') {
      dropped.push(...channels.splice(i, 1));
      settled--;
    } else i++;
  }
  return dropped;
}
