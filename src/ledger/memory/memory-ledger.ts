// One file (~350 lines): one state machine whose methods all write the same private maps.
/**
 * In-memory ledger: the reference backend and the fast path's default. Every call resolves at
 * once; results are pre-resolved shared promises so a hold or post allocates only its record,
 * and the packet path may skip the promises altogether (`SyncTransfers`).
 * Idempotency is remembered for the last `maxRememberedTransfers` finished transfers (../README.md).
 */
import { ConnectorError } from '../../utils/errors.js';
import {
  type AccountBalance,
  type AccountOptions,
  type Ledger,
  type PendingTransfer,
  type SyncTransfers,
  TRANSFER_RESULT,
  type Transfer,
  type TransferResult,
} from '../ledger.js';
import { checkOpen, notOpenError } from '../phase.js';
import {
  checkAccountId,
  checkAccountOptions,
  checkNowMs,
  checkTimeoutMs,
  checkTransferId,
  isValidAmount,
} from '../validate.js';
import { RecentTransfers } from './recent-transfers.js';
import {
  Account,
  EXPIRED,
  finishedResult,
  limitResult,
  PENDING,
  PendingHolds,
  POSTED,
  SINGLE,
  TransferRecord,
  VOIDED,
} from './records.js';
import { exportPosted, importPosted, type PostedLedgerState, type PostedTransfer } from './state.js';

export interface MemoryLedgerOptions {
  /** Clock in ms since the epoch; injectable so expiry tests need no sleeps. Default `Date.now`. */
  now?: () => number;
  /** Size of the idempotency window over finished transfers. Default 10_000 (about 1.7 MB): long-lived records are promoted to the old generation, and a larger window costs GC time on the hot path. */
  maxRememberedTransfers?: number;
  /** How often expired holds are voided in the background, 1..60_000. Default 1_000. */
  sweepIntervalMs?: number;
}

/** Names this backend in its errors. */
const LABEL = 'memory ledger';
const MAX_REMEMBERED_TRANSFERS_MAX = 100_000_000;
const SWEEP_INTERVAL_MS_MAX = 60_000;

// Shared, already-settled promises: results are immutable strings, so one promise per result serves
// every call and the hot path allocates no promise of its own.
const RESOLVED = Object.fromEntries(
  Object.values(TRANSFER_RESULT).map((r) => [r, Promise.resolve(r)]),
) as Record<TransferResult, Promise<TransferResult>>;
const RESOLVED_VOID = Promise.resolve();

function optionInRange(name: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', `${name} must be an integer in [1, ${max}], got ${v}`);
  }
  return v;
}

export class MemoryLedger implements Ledger, SyncTransfers {
  readonly name = 'memory';
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  readonly #accounts = new Map<string, Account>();
  /** Holds awaiting post/void/expiry; bounded by the caller's in-flight packets and their timeouts. */
  readonly #pending = new PendingHolds();
  /** Every pending hold and the remembered finished transfers, by id. */
  readonly #transfers: RecentTransfers<TransferRecord>;
  #phase: 'new' | 'open' | 'closed' = 'new';
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: MemoryLedgerOptions = {}) {
    this.#now = options.now ?? Date.now;
    const remembered = optionInRange(
      'maxRememberedTransfers',
      options.maxRememberedTransfers,
      10_000,
      MAX_REMEMBERED_TRANSFERS_MAX,
    );
    this.#transfers = new RecentTransfers(remembered);
    this.#sweepIntervalMs = optionInRange(
      'sweepIntervalMs',
      options.sweepIntervalMs,
      1_000,
      SWEEP_INTERVAL_MS_MAX,
    );
  }

  /** Holds not yet posted, voided or expired (for metrics and tests). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Finished transfer ids currently inside the idempotency window. */
  get rememberedCount(): number {
    return this.#transfers.size;
  }

  open(): Promise<void> {
    if (this.#phase === 'closed') return Promise.reject(notOpenError(LABEL, this.#phase));
    if (this.#phase === 'new') {
      this.#phase = 'open';
      // unref: a safety net for holds the caller forgot must never keep the process alive.
      this.#sweepTimer = setInterval(() => this.#sweep(this.#now()), this.#sweepIntervalMs).unref();
    }
    return RESOLVED_VOID;
  }

  close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#phase = 'closed';
    this.#accounts.clear();
    this.#pending.clear();
    this.#transfers.clear();
    return RESOLVED_VOID;
  }

  createAccount(id: string, options?: AccountOptions): Promise<void> {
    const error = this.#checkOpen() ?? checkAccountId(id) ?? checkAccountOptions(options);
    if (error !== undefined) return Promise.reject(error);
    const account = this.#accounts.get(id);
    if (account === undefined) this.#accounts.set(id, new Account(id, options));
    else this.#applyLimits(account, options);
    return RESOLVED_VOID;
  }

  setLimits(id: string, options: AccountOptions): Promise<void> {
    const error = this.#checkOpen() ?? checkAccountOptions(options);
    if (error !== undefined) return Promise.reject(error);
    const account = this.#accounts.get(id);
    if (account === undefined) {
      return Promise.reject(new ConnectorError('ERR_INVALID_ARGUMENT', `no ledger account ${id}`));
    }
    this.#applyLimits(account, options);
    return RESOLVED_VOID;
  }

  hasAccount(id: string): boolean {
    const error = this.#checkOpen();
    if (error !== undefined) throw error;
    return this.#accounts.has(id);
  }

  hold(t: PendingTransfer): Promise<TransferResult> {
    return settled(this.#hold(t));
  }

  holdNow(t: PendingTransfer): TransferResult {
    return orThrow(this.#hold(t));
  }

  transfer(t: Transfer): Promise<TransferResult> {
    return settled(this.#transfer(t));
  }

  /** `transfer` without the promise; throws what it would reject with. */
  transferNow(t: Transfer): TransferResult {
    return orThrow(this.#transfer(t));
  }

  post(id: bigint): Promise<TransferResult> {
    return settled(this.#finish(id, POSTED));
  }

  postNow(id: bigint): TransferResult {
    return orThrow(this.#finish(id, POSTED));
  }

  /**
   * `postNow`, answering the posted hold itself instead of 'ok', so a durable backend can record
   * what was posted without keeping its own copy of every pending hold.
   */
  postNowRecord(id: bigint): PostedTransfer | TransferResult {
    const result = this.#finish(id, POSTED);
    if (result instanceof ConnectorError) throw result;
    return result;
  }

  void(id: bigint): Promise<TransferResult> {
    return settled(this.#finish(id, VOIDED));
  }

  voidNow(id: bigint): TransferResult {
    return orThrow(this.#finish(id, VOIDED));
  }

  /** Accounts and the postings of the idempotency window, for a snapshot (state.ts). */
  exportState(): PostedLedgerState {
    const error = this.#checkOpen();
    if (error !== undefined) throw error;
    return exportPosted(this.#accounts, this.#transfers);
  }

  /** Loads an exported state into this open, empty ledger (a restart of a durable backend). */
  restore(state: PostedLedgerState): void {
    const error = this.#checkOpen();
    if (error !== undefined) throw error;
    importPosted(state, this.#accounts, this.#transfers);
  }

  getBalance(id: string): Promise<AccountBalance | undefined> {
    const error = this.#checkOpen();
    if (error !== undefined) return Promise.reject(error);
    const a = this.#accounts.get(id);
    if (a === undefined) return Promise.resolve(undefined);
    // A copy: callers must never be able to write the ledger's own counters.
    return Promise.resolve({
      debitsPending: a.debitsPending,
      debitsPosted: a.debitsPosted,
      creditsPending: a.creditsPending,
      creditsPosted: a.creditsPosted,
    });
  }

  listAccounts(): Promise<string[]> {
    const error = this.#checkOpen();
    if (error !== undefined) return Promise.reject(error);
    return Promise.resolve([...this.#accounts.keys()]);
  }

  voidExpired(nowMs?: number): Promise<number> {
    const error = this.#checkOpen() ?? checkNowMs(nowMs);
    if (error !== undefined) return Promise.reject(error);
    return Promise.resolve(this.#sweep(nowMs ?? this.#now()));
  }

  #checkOpen(): ConnectorError | undefined {
    return checkOpen(LABEL, this.#phase);
  }

  #applyLimits(account: Account, options: AccountOptions | undefined): void {
    account.debitLimit = options?.debitLimit;
    account.creditLimit = options?.creditLimit;
  }

  /**
   * Checks in TigerBeetle's order (fields, accounts, existing id, limits) so that a retried transfer
   * answers 'exists' even when the limit is now used up. Returns the record to apply, or a refusal.
   */
  #admit(t: Transfer, timeoutMs: number): TransferRecord | TransferResult {
    if (!isValidAmount(t.amount)) return TRANSFER_RESULT.invalidAmount;
    if (t.debitAccount === t.creditAccount) return TRANSFER_RESULT.sameAccount;
    const debit = this.#accounts.get(t.debitAccount);
    const credit = this.#accounts.get(t.creditAccount);
    if (debit === undefined || credit === undefined) return TRANSFER_RESULT.accountNotFound;
    const existing = this.#transfers.get(t.id);
    if (existing !== undefined) {
      // timeoutMs is 0 exactly for single-phase transfers, so comparing it also compares the kind.
      const same =
        existing.debit === debit &&
        existing.credit === credit &&
        existing.amount === t.amount &&
        existing.timeoutMs === timeoutMs;
      return same ? TRANSFER_RESULT.exists : TRANSFER_RESULT.idMismatch;
    }
    const refused = limitResult(debit, credit, t.amount);
    if (refused !== undefined) return refused;
    if (timeoutMs === 0) return new TransferRecord(t.id, debit, credit, t.amount, 0, 0, SINGLE);
    return new TransferRecord(t.id, debit, credit, t.amount, timeoutMs, this.#now() + timeoutMs, PENDING);
  }

  #transfer(t: Transfer): TransferResult | ConnectorError {
    const error = this.#checkOpen() ?? checkTransferId(t.id);
    if (error !== undefined) return error;
    const admitted = this.#admit(t, 0);
    if (typeof admitted === 'string') return admitted;
    admitted.debit.debitsPosted += admitted.amount;
    admitted.credit.creditsPosted += admitted.amount;
    this.#transfers.add(admitted.id, admitted);
    return TRANSFER_RESULT.ok;
  }

  #hold(t: PendingTransfer): TransferResult | ConnectorError {
    const error = this.#checkOpen() ?? checkTransferId(t.id) ?? checkTimeoutMs(t.timeoutMs);
    if (error !== undefined) return error;
    const admitted = this.#admit(t, t.timeoutMs);
    if (typeof admitted === 'string') return admitted;
    admitted.debit.debitsPending += admitted.amount;
    admitted.credit.creditsPending += admitted.amount;
    this.#transfers.addPending(admitted.id, admitted);
    this.#pending.add(admitted);
    return TRANSFER_RESULT.ok;
  }

  /** The finished record when done, else a refusal or an error. */
  #finish(
    id: bigint,
    outcome: typeof POSTED | typeof VOIDED,
  ): TransferRecord | TransferResult | ConnectorError {
    const error = this.#checkOpen() ?? checkTransferId(id);
    if (error !== undefined) return error;
    const record = this.#transfers.get(id);
    if (record === undefined || record.state !== PENDING) return finishedResult(record);
    // Lazy expiry: the sweep may not have run yet, but a hold past its timeout is never posted.
    if (this.#now() >= record.expiresAtMs) {
      this.#release(record, EXPIRED);
      return TRANSFER_RESULT.pendingExpired;
    }
    this.#release(record, outcome);
    return record;
  }

  #release(record: TransferRecord, state: number): void {
    const { debit, credit, amount } = record;
    debit.debitsPending -= amount;
    credit.creditsPending -= amount;
    if (state === POSTED) {
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    }
    record.state = state;
    this.#pending.remove(record);
    this.#transfers.finish(record.id);
  }

  /** Voids every hold expired at `nowMs`. */
  #sweep(nowMs: number): number {
    const expired = this.#pending.expired(nowMs);
    for (const record of expired) this.#release(record, EXPIRED);
    return expired.length;
  }
}

/** A finished record means 'ok'. */
function settled(result: TransferRecord | TransferResult | ConnectorError): Promise<TransferResult> {
  if (typeof result === 'string') return RESOLVED[result];
  return result instanceof TransferRecord ? RESOLVED.ok : Promise.reject(result);
}

function orThrow(result: TransferRecord | TransferResult | ConnectorError): TransferResult {
  if (typeof result === 'string') return result;
  if (result instanceof TransferRecord) return TRANSFER_RESULT.ok;
  throw result;
}
