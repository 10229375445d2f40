/**
 * TEST DOUBLE, NOT TIGERBEETLE. No TigerBeetle server can run on these machines, so the
 * TigerBeetle backend's tests run against this in-memory stand-in for tigerbeetle-node's client.
 * Its codes and flags are tigerbeetle-node's own enums; its rules follow TigerBeetle 0.16's state
 * machine (src/state_machine.zig) and the create_transfers / create_accounts reference. It models:
 * - createAccounts: id, flag, ledger and code checks; `exists` and `exists_with_different_*`;
 * - createTransfers, in TigerBeetle's order of checks: idempotency (`exists`,
 *   `exists_with_different_*`), transient failures burning the id (`id_already_failed`), linked
 *   chains (all or nothing, `linked_event_failed`, `linked_event_chain_open`), pending transfers
 *   with timeouts in seconds against an injectable clock (expired holds are voided as soon as the
 *   clock passes them, like TigerBeetle's pulse), post (exact amount, or 2^128 - 1 for all) and void
 *   (0 or exact), already posted / voided / expired, balancing_debit / balancing_credit, the
 *   debits_must_not_exceed_credits / credits_must_not_exceed_debits flags, u128 overflows;
 * - results listing only failures, `{ index, result }` (0.16), or every event's
 *   `{ status, timestamp }` (0.17) with `resultShape: 'dense'`;
 * - lookupAccounts / lookupTransfers (unknown ids left out); destroy (later and hung requests
 *   reject like the real client's "Client was shutdown."); `unreachable` requests never answer.
 * It does not model: replication, sessions, durability, imported events, closing or history
 * accounts, query APIs, request size limits, or the cluster's own clock (it reads `now`).
 */
import {
  CreateAccountError as AE,
  AccountFlags as AF,
  CreateTransferError as TE,
  TransferFlags as TF,
} from 'tigerbeetle-node/dist/bindings.js';
import type {
  TbAccount,
  TbCreateResult,
  TbTransfer,
  TigerBeetleClientLike,
} from '../../src/ledger/tigerbeetle/client.js';

const MAX = (1n << 128n) - 1n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const TRANSIENT = new Set<number>([
  TE.debit_account_not_found,
  TE.credit_account_not_found,
  TE.pending_transfer_not_found,
  TE.exceeds_credits,
  TE.exceeds_debits,
]);

type Status = 'pending' | 'posted' | 'voided' | 'expired';
type Kind = 'createAccounts' | 'createTransfers' | 'lookupAccounts' | 'lookupTransfers';

export interface FakeTigerBeetleOptions {
  /** Cluster clock in ms (default Date.now); timeouts are seconds from an event's timestamp. */
  now?: () => number;
  /** 'sparse': failures only, as up to 0.16 (default); 'dense': every event, as from 0.17. */
  resultShape?: 'sparse' | 'dense';
  /** Requests never answer, like a client whose cluster cannot be reached. */
  unreachable?: boolean;
}

export class FakeTigerBeetle implements TigerBeetleClientLike {
  readonly calls: Record<Kind, number> = {
    createAccounts: 0,
    createTransfers: 0,
    lookupAccounts: 0,
    lookupTransfers: 0,
  };
  /** Event count of every createTransfers request, in order. */
  readonly transferBatchSizes: number[] = [];
  readonly accounts = new Map<bigint, TbAccount>();
  readonly transfers = new Map<bigint, TbTransfer>();
  destroyed = false;
  readonly #status = new Map<bigint, Status>();
  readonly #orphaned = new Set<bigint>();
  readonly #hung: ((e: Error) => void)[] = [];
  readonly #now: () => number;
  readonly #dense: boolean;
  readonly #unreachable: boolean;
  #lastNs = 0n;
  /** Undo log of the linked chain being applied. */
  #undo: (() => void)[] | undefined;

  constructor(options: FakeTigerBeetleOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#dense = options.resultShape === 'dense';
    this.#unreachable = options.unreachable ?? false;
  }

  createAccounts(batch: TbAccount[]): Promise<readonly TbCreateResult[]> {
    return this.#request('createAccounts', () => this.#results(this.#applyAccounts(batch)));
  }

  createTransfers(batch: TbTransfer[]): Promise<readonly TbCreateResult[]> {
    this.transferBatchSizes.push(batch.length);
    return this.#request('createTransfers', () => this.#results(this.#applyTransfers(batch)));
  }

  lookupAccounts(ids: bigint[]): Promise<readonly TbAccount[]> {
    return this.#request('lookupAccounts', () => found(ids, this.accounts));
  }

  lookupTransfers(ids: bigint[]): Promise<readonly TbTransfer[]> {
    return this.#request('lookupTransfers', () => found(ids, this.transfers));
  }

  destroy(): void {
    this.destroyed = true;
    for (const reject of this.#hung.splice(0)) reject(new Error('Client was shutdown.'));
  }

  #request<T>(kind: Kind, run: () => T): Promise<T> {
    if (this.destroyed) return Promise.reject(new Error('Client was shutdown.'));
    this.calls[kind]++;
    if (this.#unreachable) return new Promise((_, reject) => this.#hung.push(reject));
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (this.destroyed) return reject(new Error('Client was shutdown.'));
        this.#pulse();
        resolve(run());
      });
    });
  }

  #results(codes: number[]): TbCreateResult[] {
    if (this.#dense)
      return codes.map((c) => ({ status: c === 0 ? 0xffff_ffff : c, timestamp: this.#lastNs }));
    return codes.flatMap((result, index) => (result === 0 ? [] : [{ index, result }]));
  }

  #nowNs(): bigint {
    return BigInt(this.#now()) * NS_PER_MS;
  }

  #tick(): bigint {
    const now = this.#nowNs();
    this.#lastNs = now > this.#lastNs ? now : this.#lastNs + 1n;
    return this.#lastNs;
  }

  /** Voids every pending transfer whose timeout has passed, as TigerBeetle's pulse does. */
  #pulse(): void {
    const now = this.#nowNs();
    for (const [id, status] of this.#status) {
      const p = this.transfers.get(id)!;
      if (status === 'pending' && p.timeout > 0 && p.timestamp + BigInt(p.timeout) * NS_PER_S <= now) {
        this.#status.set(id, 'expired');
        this.#add(p.debit_account_id, 'debits_pending', -p.amount);
        this.#add(p.credit_account_id, 'credits_pending', -p.amount);
      }
    }
  }

  /** A change to the state, undone if the linked chain it belongs to fails. */
  #record(undo: () => void): void {
    this.#undo?.push(undo);
  }

  #add(
    id: bigint,
    field: 'debits_pending' | 'debits_posted' | 'credits_pending' | 'credits_posted',
    delta: bigint,
  ) {
    const a = this.accounts.get(id)!;
    a[field] += delta;
    this.#record(() => {
      a[field] -= delta;
    });
  }

  #setStatus(id: bigint, status: Status): void {
    const before = this.#status.get(id);
    this.#status.set(id, status);
    this.#record(() => (before === undefined ? this.#status.delete(id) : this.#status.set(id, before)));
  }

  #insert<T extends { id: bigint }>(map: Map<bigint, T>, item: T): void {
    map.set(item.id, item);
    this.#record(() => map.delete(item.id));
  }

  /** TigerBeetle's execute_create: linked chains apply all or nothing. Returns a code per event. */
  #applyChains<E extends { id: bigint; flags: number; timestamp: bigint }>(
    batch: E[],
    codes: { linkedFailed: number; chainOpen: number; timestampMustBeZero: number },
    create: (e: E) => number,
    transient: (code: number) => boolean,
  ): number[] {
    const results = batch.map(() => 0);
    let start: number | undefined;
    let broken = false;
    for (const [i, e] of batch.entries()) {
      const linked = (e.flags & 1) !== 0;
      if (linked && start === undefined) {
        start = i;
        this.#undo = [];
      }
      let code: number;
      if (linked && i === batch.length - 1) code = codes.chainOpen;
      else if (broken) code = codes.linkedFailed;
      else if (e.timestamp !== 0n) code = codes.timestampMustBeZero;
      else code = create(e);
      if (code !== 0) {
        if (start !== undefined && !broken) {
          broken = true;
          for (const undo of this.#undo!.reverse()) undo();
          for (let j = start; j < i; j++) results[j] = codes.linkedFailed;
        }
        results[i] = code;
        if (transient(code)) this.#orphaned.add(e.id);
      }
      if (start !== undefined && (!linked || code === codes.chainOpen)) {
        start = undefined;
        broken = false;
        this.#undo = undefined;
      }
    }
    return results;
  }

  #applyAccounts(batch: TbAccount[]): number[] {
    const codes = {
      linkedFailed: AE.linked_event_failed,
      chainOpen: AE.linked_event_chain_open,
      timestampMustBeZero: AE.timestamp_must_be_zero,
    };
    return this.#applyChains(
      batch,
      codes,
      (a) => this.#createAccount(a),
      () => false,
    );
  }

  #createAccount(a: TbAccount): number {
    if (a.reserved !== 0) return AE.reserved_field;
    if (a.id === 0n) return AE.id_must_not_be_zero;
    if (a.id === MAX) return AE.id_must_not_be_int_max;
    const e = this.accounts.get(a.id);
    if (e !== undefined) {
      if ((a.flags & ~AF.linked) !== (e.flags & ~AF.linked)) return AE.exists_with_different_flags;
      if (a.user_data_128 !== e.user_data_128) return AE.exists_with_different_user_data_128;
      if (a.user_data_64 !== e.user_data_64) return AE.exists_with_different_user_data_64;
      if (a.user_data_32 !== e.user_data_32) return AE.exists_with_different_user_data_32;
      if (a.ledger !== e.ledger) return AE.exists_with_different_ledger;
      if (a.code !== e.code) return AE.exists_with_different_code;
      return AE.exists;
    }
    const both = AF.debits_must_not_exceed_credits | AF.credits_must_not_exceed_debits;
    if ((a.flags & both) === both) return AE.flags_are_mutually_exclusive;
    if (a.debits_pending !== 0n) return AE.debits_pending_must_be_zero;
    if (a.debits_posted !== 0n) return AE.debits_posted_must_be_zero;
    if (a.credits_pending !== 0n) return AE.credits_pending_must_be_zero;
    if (a.credits_posted !== 0n) return AE.credits_posted_must_be_zero;
    if (a.ledger === 0) return AE.ledger_must_not_be_zero;
    if (a.code === 0) return AE.code_must_not_be_zero;
    this.#insert(this.accounts, { ...a, flags: a.flags & ~AF.linked, timestamp: this.#tick() });
    return AE.ok;
  }

  #applyTransfers(batch: TbTransfer[]): number[] {
    const codes = {
      linkedFailed: TE.linked_event_failed,
      chainOpen: TE.linked_event_chain_open,
      timestampMustBeZero: TE.timestamp_must_be_zero,
    };
    return this.#applyChains(
      batch,
      codes,
      (t) => this.#createTransfer(t),
      (c) => TRANSIENT.has(c),
    );
  }

  #createTransfer(t: TbTransfer): number {
    if (t.id === 0n) return TE.id_must_not_be_zero;
    if (t.id === MAX) return TE.id_must_not_be_int_max;
    const existing = this.transfers.get(t.id);
    if (existing !== undefined) return this.#exists(t, existing);
    if (this.#orphaned.has(t.id)) return TE.id_already_failed;
    if (t.flags & (TF.post_pending_transfer | TF.void_pending_transfer)) return this.#postOrVoid(t);
    if (t.debit_account_id === 0n) return TE.debit_account_id_must_not_be_zero;
    if (t.debit_account_id === MAX) return TE.debit_account_id_must_not_be_int_max;
    if (t.credit_account_id === 0n) return TE.credit_account_id_must_not_be_zero;
    if (t.credit_account_id === MAX) return TE.credit_account_id_must_not_be_int_max;
    if (t.credit_account_id === t.debit_account_id) return TE.accounts_must_be_different;
    if (t.pending_id !== 0n) return TE.pending_id_must_be_zero;
    const pending = (t.flags & TF.pending) !== 0;
    if (!pending && t.timeout !== 0) return TE.timeout_reserved_for_pending_transfer;
    if (t.ledger === 0) return TE.ledger_must_not_be_zero;
    if (t.code === 0) return TE.code_must_not_be_zero;
    const dr = this.accounts.get(t.debit_account_id);
    if (dr === undefined) return TE.debit_account_not_found;
    const cr = this.accounts.get(t.credit_account_id);
    if (cr === undefined) return TE.credit_account_not_found;
    if (dr.ledger !== cr.ledger) return TE.accounts_must_have_the_same_ledger;
    if (t.ledger !== dr.ledger) return TE.transfer_must_have_the_same_ledger_as_accounts;
    let amount = t.amount;
    const sub = (a: bigint, b: bigint) => (a > b ? a - b : 0n);
    if (t.flags & TF.balancing_debit) {
      amount = min(amount, sub(dr.credits_posted, dr.debits_posted + dr.debits_pending));
    }
    if (t.flags & TF.balancing_credit) {
      amount = min(amount, sub(cr.debits_posted, cr.credits_posted + cr.credits_pending));
    }
    if (pending && amount + dr.debits_pending > MAX) return TE.overflows_debits_pending;
    if (pending && amount + cr.credits_pending > MAX) return TE.overflows_credits_pending;
    if (amount + dr.debits_posted > MAX) return TE.overflows_debits_posted;
    if (amount + cr.credits_posted > MAX) return TE.overflows_credits_posted;
    if (amount + dr.debits_pending + dr.debits_posted > MAX) return TE.overflows_debits;
    if (amount + cr.credits_pending + cr.credits_posted > MAX) return TE.overflows_credits;
    if (
      dr.flags & AF.debits_must_not_exceed_credits &&
      dr.debits_pending + dr.debits_posted + amount > dr.credits_posted
    ) {
      return TE.exceeds_credits;
    }
    if (
      cr.flags & AF.credits_must_not_exceed_debits &&
      cr.credits_pending + cr.credits_posted + amount > cr.debits_posted
    ) {
      return TE.exceeds_debits;
    }
    this.#insert(this.transfers, { ...t, amount, flags: t.flags & ~TF.linked, timestamp: this.#tick() });
    if (pending) {
      this.#setStatus(t.id, 'pending');
      this.#add(dr.id, 'debits_pending', amount);
      this.#add(cr.id, 'credits_pending', amount);
    } else {
      this.#add(dr.id, 'debits_posted', amount);
      this.#add(cr.id, 'credits_posted', amount);
    }
    return TE.ok;
  }

  #postOrVoid(t: TbTransfer): number {
    const post = (t.flags & TF.post_pending_transfer) !== 0;
    const exclusive = TF.pending | TF.balancing_debit | TF.balancing_credit;
    if ((post && t.flags & TF.void_pending_transfer) || t.flags & exclusive) {
      return TE.flags_are_mutually_exclusive;
    }
    if (t.pending_id === 0n) return TE.pending_id_must_not_be_zero;
    if (t.pending_id === MAX) return TE.pending_id_must_not_be_int_max;
    if (t.pending_id === t.id) return TE.pending_id_must_be_different;
    if (t.timeout !== 0) return TE.timeout_reserved_for_pending_transfer;
    const p = this.transfers.get(t.pending_id);
    if (p === undefined) return TE.pending_transfer_not_found;
    if ((p.flags & TF.pending) === 0) return TE.pending_transfer_not_pending;
    if (t.debit_account_id !== 0n && t.debit_account_id !== p.debit_account_id) {
      return TE.pending_transfer_has_different_debit_account_id;
    }
    if (t.credit_account_id !== 0n && t.credit_account_id !== p.credit_account_id) {
      return TE.pending_transfer_has_different_credit_account_id;
    }
    if (t.ledger !== 0 && t.ledger !== p.ledger) return TE.pending_transfer_has_different_ledger;
    if (t.code !== 0 && t.code !== p.code) return TE.pending_transfer_has_different_code;
    const amount = post ? (t.amount === MAX ? p.amount : t.amount) : t.amount > 0n ? t.amount : p.amount;
    if (amount > p.amount) return TE.exceeds_pending_transfer_amount;
    if (!post && amount < p.amount) return TE.pending_transfer_has_different_amount;
    const status = this.#status.get(p.id);
    if (status === 'posted') return TE.pending_transfer_already_posted;
    if (status === 'voided') return TE.pending_transfer_already_voided;
    if (status === 'expired') return TE.pending_transfer_expired;
    const timestamp = this.#tick();
    if (p.timeout > 0 && p.timestamp + BigInt(p.timeout) * NS_PER_S <= timestamp) {
      return TE.pending_transfer_expired;
    }
    const stored = { ...t, debit_account_id: p.debit_account_id, credit_account_id: p.credit_account_id };
    this.#insert(this.transfers, {
      ...stored,
      amount,
      ledger: p.ledger,
      code: p.code,
      flags: t.flags & ~1,
      timestamp,
    });
    this.#setStatus(p.id, post ? 'posted' : 'voided');
    this.#add(p.debit_account_id, 'debits_pending', -p.amount);
    this.#add(p.credit_account_id, 'credits_pending', -p.amount);
    if (post) {
      this.#add(p.debit_account_id, 'debits_posted', amount);
      this.#add(p.credit_account_id, 'credits_posted', amount);
    }
    return TE.ok;
  }

  /** TigerBeetle's create_transfer_exists, for transfers that are not post/void. */
  #exists(t: TbTransfer, e: TbTransfer): number {
    if ((t.flags & ~TF.linked) !== e.flags) return TE.exists_with_different_flags;
    if (t.pending_id !== e.pending_id) return TE.exists_with_different_pending_id;
    if (t.timeout !== e.timeout) return TE.exists_with_different_timeout;
    if (t.flags & (TF.post_pending_transfer | TF.void_pending_transfer)) {
      if (t.amount !== e.amount && !(t.amount === 0n || t.amount === MAX))
        return TE.exists_with_different_amount;
      return TE.exists;
    }
    if (t.debit_account_id !== e.debit_account_id) return TE.exists_with_different_debit_account_id;
    if (t.credit_account_id !== e.credit_account_id) return TE.exists_with_different_credit_account_id;
    const balancing = (t.flags & (TF.balancing_debit | TF.balancing_credit)) !== 0;
    if (balancing ? t.amount < e.amount : t.amount !== e.amount) return TE.exists_with_different_amount;
    if (t.user_data_128 !== e.user_data_128) return TE.exists_with_different_user_data_128;
    if (t.user_data_64 !== e.user_data_64) return TE.exists_with_different_user_data_64;
    if (t.user_data_32 !== e.user_data_32) return TE.exists_with_different_user_data_32;
    if (t.ledger !== e.ledger) return TE.exists_with_different_ledger;
    if (t.code !== e.code) return TE.exists_with_different_code;
    return TE.exists;
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function found<T>(ids: bigint[], map: Map<bigint, T>): T[] {
  return ids.flatMap((id) => {
    const item = map.get(id);
    return item === undefined ? [] : [{ ...item }];
  });
}
