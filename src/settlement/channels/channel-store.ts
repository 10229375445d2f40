/**
 * The node's channels and claims on disk, so a restart (or kill -9) loses no claim and no
 * redeemable value. One JSON file, replaced atomically on every change: written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced. Settlement changes are
 * rare (a claim per threshold crossing, not per packet), so a whole-file write is cheap enough
 * and keeps recovery trivial: the file is the last state that was saved, whole.
 *
 * The engine saves before it acts outside the process: a claim is saved before it is sent (so a
 * restart never signs a second claim with the same nonce), and a received claim before it is
 * acknowledged.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Address, Hex } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';

export type ChannelStatus = 'open' | 'closing' | 'settled';

interface ChannelBase {
  readonly peerId: string;
  readonly chainId: number;
  readonly tokenNetwork: Address;
  readonly channelId: Hex;
  /** Token base units deposited, as last seen. */
  deposit: bigint;
  /** The latest claim (nonce 0n: none yet). */
  nonce: bigint;
  /** Cumulative token base units of the latest claim. */
  transferred: bigint;
  /** ILP units the ledger moved for the latest claim (re-applied, idempotently, at start). */
  ledgerDelta: bigint;
  /**
   * The newest claim whose ledger move is known to be booked. A start books again only claims
   * above it: the ledger remembers transfer ids for a bounded time, so booking an old claim
   * again after many postings would credit it twice.
   */
  bookedNonce: bigint;
  signature: Hex | undefined;
  status: ChannelStatus;
  /** Seconds; when a closing channel may be settled. */
  settleableAt: bigint;
}

/** A channel this node pays into: it signs the claims. */
export interface OutgoingChannel extends ChannelBase {
  readonly receiver: Address;
  /** The newest claim the peer acknowledged. */
  acknowledgedNonce: bigint;
  /** A cooperative close the peer co-signed, until it is settled on chain. */
  cooperative?: CooperativeClose | undefined;
}

/** A channel a peer pays into: this node holds its claims and redeems them. */
export interface IncomingChannel extends ChannelBase {
  readonly sender: Address;
  /** Token base units redeemed on chain so far. */
  redeemed: bigint;
  /** A cooperative close we co-signed: no claim is taken after it. */
  cooperative?: CooperativeClose | undefined;
}

/** Both signatures of a CooperativeSettle for the latest claim's amount: either side submits. */
export interface CooperativeClose {
  readonly amount: bigint;
  readonly senderSignature: Hex;
  readonly receiverSignature: Hex;
  readonly agreedAtMs: number;
}

export interface SettlementState {
  outgoing: OutgoingChannel[];
  incoming: IncomingChannel[];
  /** What the settled channels dropped from the file had claimed and redeemed (the counters' past). */
  pruned?: PrunedTotals | undefined;
  /**
   * The engine's event counters (claims, refusals, redemptions, chain errors) as of this save, so
   * /metrics goes on from them after a restart. Names are the engine's; this file only keeps them.
   */
  counts?: SavedCounts | undefined;
}

/**
 * What the channels no longer in the file had claimed and redeemed, and how many there were (all
 * of them settled), so the counters of money and channels never go back.
 */
export interface PrunedTotals {
  tokensSent: bigint;
  tokensReceived: bigint;
  tokensRedeemed: bigint;
  /** Settled channels dropped, per direction (absent in files written before they were kept). */
  outgoingChannels?: number;
  incomingChannels?: number;
}

/** Counters by name: a count, or counts by label value (a refusal's reason, an error's kind). */
export type SavedCounts = Readonly<Record<string, number | Readonly<Record<string, number>>>>;

const VERSION = 1;
const BIGINT_FIELDS = new Set([
  'deposit',
  'nonce',
  'transferred',
  'ledgerDelta',
  'bookedNonce',
  'settleableAt',
  'acknowledgedNonce',
  'redeemed',
  'amount',
  'tokensSent',
  'tokensReceived',
  'tokensRedeemed',
]);

export function emptySettlementState(): SettlementState {
  return { outgoing: [], incoming: [] };
}

export class ChannelStore {
  readonly path: string;
  #tail: Promise<void> = Promise.resolve();
  #seq = 0;
  #dirReady = false;

  constructor(path: string) {
    this.path = path;
  }

  /** The saved state; an empty one when there is no file. A file that does not read stops startup. */
  async load(): Promise<SettlementState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySettlementState();
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `cannot read settlement state ${this.path}`, {
        cause: err,
      });
    }
    try {
      return parseState(text);
    } catch (err) {
      throw new ConnectorError(
        'ERR_SETTLEMENT_UNAVAILABLE',
        `settlement state ${this.path} is corrupt (${messageOf(err)}); it holds signed claims: restore it from a backup rather than deleting it`,
      );
    }
  }

  /** Saves `state` as it is now; resolves once it is durable. Saves are applied in call order. */
  save(state: SettlementState): Promise<void> {
    const text = serializeState(state);
    const next = this.#tail.then(() => this.#write(text));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #write(text: string): Promise<void> {
    const dir = dirname(this.path);
    if (!this.#dirReady) {
      await mkdir(dir, { recursive: true });
      this.#dirReady = true;
    }
    const tmp = `${this.path}.${process.pid}.${++this.#seq}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

export function serializeState(state: SettlementState): string {
  return JSON.stringify({ version: VERSION, ...state }, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

export function parseState(text: string): SettlementState {
  const raw = JSON.parse(text, (key, value: unknown) => {
    if (BIGINT_FIELDS.has(key)) {
      if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new Error(`${key} is not an amount`);
      return BigInt(value);
    }
    return value;
  }) as {
    version?: unknown;
    outgoing?: unknown;
    incoming?: unknown;
    pruned?: unknown;
    counts?: unknown;
  };
  if (raw.version !== VERSION) throw new Error(`unknown version ${String(raw.version)}`);
  if (!Array.isArray(raw.outgoing) || !Array.isArray(raw.incoming)) throw new Error('no channel lists');
  for (const c of [...raw.outgoing, ...raw.incoming] as Record<string, unknown>[]) {
    for (const field of ['peerId', 'tokenNetwork', 'channelId', 'status'])
      if (typeof c[field] !== 'string') throw new Error(`a channel has no ${field}`);
    if (typeof c.chainId !== 'number') throw new Error('a channel has no chainId');
    // Written before `bookedNonce` existed: the latest claim may not be booked; book it again.
    if (c.bookedNonce === undefined)
      c.bookedNonce = typeof c.nonce === 'bigint' && c.nonce > 0n ? c.nonce - 1n : 0n;
  }
  const state: SettlementState = {
    outgoing: raw.outgoing as OutgoingChannel[],
    incoming: raw.incoming as IncomingChannel[],
  };
  if (raw.pruned !== undefined) {
    const p = raw.pruned as Record<string, unknown>;
    for (const field of ['tokensSent', 'tokensReceived', 'tokensRedeemed'])
      if (typeof p[field] !== 'bigint') throw new Error(`pruned.${field} is not an amount`);
    for (const field of ['outgoingChannels', 'incomingChannels'])
      if (p[field] !== undefined && !isCount(p[field])) throw new Error(`pruned.${field} is not a count`);
    state.pruned = p as unknown as PrunedTotals;
  }
  if (raw.counts !== undefined) state.counts = parseCounts(raw.counts);
  return state;
}

function parseCounts(raw: unknown): SavedCounts {
  if (!isObject(raw)) throw new Error('counts is not an object');
  for (const [name, value] of Object.entries(raw)) {
    if (isCount(value)) continue;
    if (!isObject(value) || !Object.values(value).every(isCount))
      throw new Error(`counts.${name} is not a count nor counts by label`);
  }
  return raw as SavedCounts;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
