/**
 * The gateway's durable record of the authorizations it accepted (docs/gateway.md, "Store"):
 * one held before its Prepare leaves, marked fulfilled before it is settled, then settled or
 * void. On open, what was fulfilled but not settled is handed back to be settled; what was held
 * with no ILP outcome is voided (as the ledger voids a hold a crash interrupted: the client was
 * never answered, so its authorization is not used). The file is compacted to the unfinished
 * entries at every open, so it grows only with the traffic of one run.
 */
import type { Address, Hex } from 'viem';
import { ConnectorError } from '../utils/errors.js';
import { AppendLog } from './append-log.js';
import type { Authorization } from './x402.js';

export type AuthorizationState = 'held' | 'fulfilled';

export interface StoredAuthorization {
  /** `<from>:<nonce>`, lowercase: what the token's `authorizationState` keys on. */
  readonly id: string;
  readonly network: string;
  readonly asset: Address;
  readonly signature: Hex;
  readonly authorization: Authorization;
  readonly destination: string;
  readonly amount: bigint;
  readonly heldAtMs: number;
  /** The requirements' `resource` URL (a remote facilitator's `/settle` is sent it again). */
  readonly resource?: string | undefined;
}

interface Entry {
  readonly stored: StoredAuthorization;
  state: AuthorizationState;
}

type Record =
  | { op: 'hold'; id: string; entry: JsonEntry }
  | { op: 'fulfilled'; id: string }
  | { op: 'settled'; id: string; tx: string }
  | { op: 'void'; id: string; reason: string };

type JsonEntry = Omit<StoredAuthorization, 'authorization' | 'amount'> & {
  authorization: { [K in keyof Authorization]: string };
  amount: string;
};

export function authorizationId(from: Address, nonce: Hex): string {
  return `${from}:${nonce}`.toLowerCase();
}

export class AuthorizationStore {
  readonly #log: AppendLog;
  readonly #entries = new Map<string, Entry>();
  readonly #heldByPayer = new Map<string, bigint>();

  private constructor(log: AppendLog) {
    this.#log = log;
  }

  /** Opens the store; `recovered` lists what was fulfilled and not settled, `voided` what had no outcome. */
  static async open(path: string): Promise<{
    store: AuthorizationStore;
    recovered: StoredAuthorization[];
    voided: StoredAuthorization[];
  }> {
    const live = new Map<string, Entry>();
    const voided: StoredAuthorization[] = [];
    const { log } = await AppendLog.open(path, (records) => {
      for (const record of records) replay(record as Record, live, path);
      const kept: Record[] = [];
      for (const [id, e] of live) {
        if (e.state === 'held') {
          voided.push(e.stored);
          live.delete(id);
        } else kept.push({ op: 'hold', id, entry: toJson(e.stored) }, { op: 'fulfilled', id });
      }
      return kept;
    });
    const store = new AuthorizationStore(log);
    for (const [id, e] of live) store.#add(id, e);
    return { store, recovered: [...live.values()].map((e) => e.stored), voided };
  }

  /** Held or fulfilled, not yet settled: a second use of it is a replay. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** What a payer owes in authorizations not yet settled. */
  heldOf(payer: Address): bigint {
    return this.#heldByPayer.get(payer.toLowerCase()) ?? 0n;
  }

  /** What the payer of `id` owes in authorizations held before it (insertion order). */
  heldBefore(id: string): bigint {
    const own = this.#entries.get(id);
    if (own === undefined) return 0n;
    const payer = own.stored.authorization.from;
    let sum = 0n;
    for (const [other, e] of this.#entries) {
      if (other === id) break;
      if (e.stored.authorization.from === payer) sum += e.stored.authorization.value;
    }
    return sum;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Reserves the authorization at once (false when it is already here: a replay) and resolves
   * once the hold is on disk; only then may the Prepare leave.
   */
  hold(stored: StoredAuthorization): { accepted: false } | { accepted: true; durable: Promise<void> } {
    if (this.#entries.has(stored.id)) return { accepted: false };
    this.#add(stored.id, { stored, state: 'held' });
    const durable = this.#log.append({ op: 'hold', id: stored.id, entry: toJson(stored) } satisfies Record);
    return { accepted: true, durable: durable.catch((error) => this.#forget(stored.id, error)) };
  }

  /** The Fulfill came back: on disk before the settlement is sent. */
  fulfilled(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.state = 'fulfilled';
    return this.#log.append({ op: 'fulfilled', id } satisfies Record);
  }

  settled(id: string, tx: string): Promise<void> {
    this.#remove(id);
    return this.#log.append({ op: 'settled', id, tx } satisfies Record);
  }

  voided(id: string, reason: string): Promise<void> {
    this.#remove(id);
    return this.#log.append({ op: 'void', id, reason } satisfies Record);
  }

  close(): Promise<void> {
    return this.#log.close();
  }

  #add(id: string, entry: Entry): void {
    this.#entries.set(id, entry);
    const payer = entry.stored.authorization.from.toLowerCase();
    this.#heldByPayer.set(payer, (this.#heldByPayer.get(payer) ?? 0n) + entry.stored.authorization.value);
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    const payer = entry.stored.authorization.from.toLowerCase();
    const left = (this.#heldByPayer.get(payer) ?? 0n) - entry.stored.authorization.value;
    if (left > 0n) this.#heldByPayer.set(payer, left);
    else this.#heldByPayer.delete(payer);
  }

  #forget(id: string, error: unknown): never {
    this.#remove(id);
    throw new ConnectorError(
      'ERR_GATEWAY_STORE',
      `could not write the authorization store: ${String(error)}`,
    );
  }
}

function replay(record: Record, live: Map<string, Entry>, path: string): void {
  switch (record?.op) {
    case 'hold':
      live.set(record.id, { stored: fromJson(record.entry), state: 'held' });
      return;
    case 'fulfilled': {
      const entry = live.get(record.id);
      if (entry !== undefined) entry.state = 'fulfilled';
      return;
    }
    case 'settled':
    case 'void':
      live.delete(record.id);
      return;
    default:
      throw new ConnectorError('ERR_GATEWAY_STORE', `${path} holds a record of unknown kind`);
  }
}

function toJson(s: StoredAuthorization): JsonEntry {
  const a = s.authorization;
  return {
    ...s,
    amount: s.amount.toString(),
    authorization: {
      from: a.from,
      to: a.to,
      value: a.value.toString(),
      validAfter: a.validAfter.toString(),
      validBefore: a.validBefore.toString(),
      nonce: a.nonce,
    },
  };
}

function fromJson(j: JsonEntry): StoredAuthorization {
  const a = j.authorization;
  return {
    ...j,
    amount: BigInt(j.amount),
    authorization: {
      from: a.from as Address,
      to: a.to as Address,
      value: BigInt(a.value),
      validAfter: BigInt(a.validAfter),
      validBefore: BigInt(a.validBefore),
      nonce: a.nonce as Hex,
    },
  };
}
