/**
 * The default durable backend (DESIGN.md §6): a memory ledger whose postings are made durable by
 * an append-only journal with group commit, compacted by periodic snapshots. Only what must
 * survive is journaled: accounts and limits, single-phase transfers, posted holds. Holds and voids
 * are not: a crash voids every pending hold by construction. A post or transfer resolves once its
 * record is durable, so a Fulfill passed upstream is never lost. ../README.md, "Journal", has the
 * file format and the recovery rules.
 */
import { mkdir } from 'node:fs/promises';
import { ConnectorError } from '../../utils/errors.js';
import {
  type AccountBalance,
  type AccountOptions,
  type InFlightHold,
  type InFlightJournal,
  type Ledger,
  type LedgerMemo,
  type PendingTransfer,
  TRANSFER_RESULT as R,
  type SyncTransfers,
  type Transfer,
  type TransferResult,
} from '../ledger.js';
import { MemoryLedger } from '../memory/memory-ledger.js';
import { checkOpen, notOpenError } from '../phase.js';
import { checkAccountId, checkAccountOptions, checkNowMs } from '../validate.js';
import { type AccountRecord, MAX_TAG_BYTES, type PostingFields, RECORD_TYPE } from './codec.js';
import { type JournalPaths, journalPaths } from './files.js';
import { InFlightBook, RECONCILED_BIT, reconciledId } from './in-flight.js';
import {
  type JournalDurability,
  type JournalLedgerOptions,
  type ResolvedJournalOptions,
  resolveJournalOptions,
} from './options.js';
import { checkNewAccountId } from './state.js';
import { JournalStore } from './store.js';

const RESOLVED = Object.fromEntries(Object.values(R).map((r) => [r, Promise.resolve(r)])) as Record<
  TransferResult,
  Promise<TransferResult>
>;
const RESOLVED_VOID = Promise.resolve();
const toOk = (): TransferResult => R.ok;

export class JournalLedger implements Ledger, SyncTransfers, InFlightJournal {
  readonly name = 'journal';
  readonly durability: JournalDurability;
  readonly #options: ResolvedJournalOptions;
  readonly #paths: JournalPaths;
  /** Names this ledger in its errors. */
  readonly #label: string;
  /** The state: every change to its posted state is journaled in the same tick. */
  readonly #inner: MemoryLedger;
  /** False with durability 'off': nothing to make durable, every call goes to the memory ledger. */
  readonly #durable: boolean;
  /** In-flight holds and memos: kept in memory with every durability, journaled with a writer. */
  readonly #inFlight: InFlightBook;
  readonly #now: () => number;
  #store: JournalStore | undefined;
  #phase: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #lastDone: Promise<void> | undefined;
  #lastOk: Promise<TransferResult> = RESOLVED[R.ok];
  #lastWritten: Promise<void> | undefined;
  #lastWrittenOk: Promise<TransferResult> = RESOLVED[R.ok];

  constructor(options: JournalLedgerOptions = {}) {
    this.#options = resolveJournalOptions(options);
    this.durability = this.#options.durability;
    this.#paths = journalPaths(this.#options.snapshotPath);
    this.#label = `journal ledger ${this.#paths.snapshot}`;
    const { maxRememberedTransfers, sweepIntervalMs } = this.#options;
    this.#inner = new MemoryLedger({
      ...(options.now === undefined ? {} : { now: options.now }),
      maxRememberedTransfers,
      sweepIntervalMs,
    });
    this.#durable = this.durability !== 'off';
    this.#now = options.now ?? Date.now;
    this.#inFlight = new InFlightBook(this.#options.maxMemos);
  }

  open(): Promise<void> {
    if (this.#phase === 'new') {
      this.#phase = 'opening';
      this.#opening = this.#open().then(
        () => {
          if (this.#phase === 'opening') this.#phase = 'open';
        },
        async (err: unknown) => {
          this.#phase = 'closed';
          await this.#release();
          throw err;
        },
      );
    }
    if (this.#phase === 'closed' || this.#opening === undefined) {
      return Promise.reject(notOpenError(this.#label, this.#phase));
    }
    return this.#opening;
  }

  async #open(): Promise<void> {
    await this.#inner.open();
    if (!this.#durable) return;
    await mkdir(this.#paths.dir, { recursive: true });
    this.#store = await JournalStore.open(this.#paths, this.#options, this.#inner, this.#inFlight);
    this.#inFlight.sealRecovered(this.#now());
  }

  /** Flushes, snapshots, releases the lock; idempotent. Rejects if the final snapshot failed. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const opened = this.#opening;
      this.#phase = 'closed';
      this.#closing = this.#close(opened);
    }
    return this.#closing;
  }

  async #close(opened: Promise<void> | undefined): Promise<void> {
    try {
      if (opened !== undefined) await opened;
    } catch {
      return; // a failed open released everything already
    }
    try {
      await this.#store?.close();
    } finally {
      await this.#release();
    }
  }

  async #release(): Promise<void> {
    await this.#inner.close();
    await this.#store?.release();
  }

  createAccount(id: string, options?: AccountOptions): Promise<void> {
    const error =
      this.#unusable() ?? checkAccountId(id) ?? checkAccountOptions(options) ?? checkNewAccountId(id);
    if (error !== undefined) return Promise.reject(error);
    return this.#setAccount(this.#inner.createAccount(id, options), id, options);
  }

  setLimits(id: string, options: AccountOptions): Promise<void> {
    const error = this.#unusable() ?? checkAccountOptions(options);
    if (error !== undefined) return Promise.reject(error);
    if (!this.#inner.hasAccount(id)) {
      return Promise.reject(new ConnectorError('ERR_INVALID_ARGUMENT', `no ledger account ${id}`));
    }
    return this.#setAccount(this.#inner.setLimits(id, options), id, options);
  }

  /** The memory ledger applied the change synchronously; journal it in the same tick. */
  #setAccount(applied: Promise<void>, id: string, options: AccountOptions | undefined): Promise<void> {
    if (!this.#durable) return applied;
    const { debitLimit, creditLimit } = options ?? {};
    const record: AccountRecord = { type: RECORD_TYPE.account, id, debitLimit, creditLimit };
    const durable = this.#store?.append(record) ?? RESOLVED_VOID;
    // If `applied` rejects nobody awaits `durable`: its failure must not go unhandled.
    durable.catch(() => undefined);
    return applied.then(() => durable);
  }

  hasAccount(id: string): boolean {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    return this.#inner.hasAccount(id);
  }

  hold(t: PendingTransfer): Promise<TransferResult> {
    try {
      return RESOLVED[this.holdNow(t)];
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Synchronous, for the packet path (holds are not journaled). Throws what `hold` rejects with. */
  holdNow(t: PendingTransfer): TransferResult {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    return this.#inner.holdNow(t);
  }

  post(id: bigint): Promise<TransferResult> {
    try {
      const result = this.postNow(id);
      return typeof result === 'string' ? RESOLVED[result] : result;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * For the packet path: the result itself when there is nothing to wait for (a refusal, or
   * durability 'snapshot'/'off'), else a promise that resolves once the posting is durable.
   */
  postNow(id: bigint): TransferResult | Promise<TransferResult> {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    if (!this.#durable) return this.#inner.postNow(id);
    const result = this.#inner.postNowRecord(id);
    if (typeof result !== 'string') {
      if (this.#inFlight.open.size > 0) this.#inFlight.open.delete(id);
      return this.#record(result);
    }
    // The earlier post may still be on its way to the disk.
    return result === R.pendingAlreadyPosted ? this.#afterBarrier(result) : result;
  }

  postWithMemo(id: bigint, untilMs: number, data: Uint8Array): TransferResult | Promise<TransferResult> {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    if (data.length > MAX_TAG_BYTES) throw new ConnectorError('ERR_INVALID_ARGUMENT', 'memo too long');
    const memo = { type: RECORD_TYPE.memo, untilMs, data } as const;
    if (!this.#durable) {
      const result = this.#inner.postNow(id);
      if (result === R.ok) this.#inFlight.apply({ ...memo });
      return result;
    }
    const result = this.#inner.postNowRecord(id);
    if (typeof result === 'string')
      return result === R.pendingAlreadyPosted ? this.#afterBarrier(result) : result;
    this.#inFlight.open.delete(id);
    this.#inFlight.addMemo(memo);
    // The memory ledger's record is a class with getters: a spread would lose its fields.
    const { debitAccount, creditAccount, amount, timeoutMs } = result;
    return this.#record({ id, debitAccount, creditAccount, amount, timeoutMs, memo });
  }

  void(id: bigint): Promise<TransferResult> {
    try {
      return RESOLVED[this.voidNow(id)];
    } catch (err) {
      return Promise.reject(err);
    }
  }

  voidNow(id: bigint): TransferResult {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    const result = this.#inner.voidNow(id);
    if (result === R.ok && this.#inFlight.open.size > 0) {
      // A recorded hold voided: a reject settles it next; without an answer it stays open.
      const record = this.#inFlight.open.get(id);
      if (record !== undefined) this.#inFlight.outcomeLost.add(record);
    }
    return result;
  }

  transfer(t: Transfer): Promise<TransferResult> {
    const error = this.#unusable();
    if (error !== undefined) return Promise.reject(error);
    let result: TransferResult;
    try {
      result = this.#inner.transferNow(t);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#durable) return RESOLVED[result];
    let done: TransferResult | Promise<TransferResult> = result;
    if (result === R.ok) {
      // A copy: the caller may reuse its object before the record is encoded (back-pressure).
      const { id, debitAccount, creditAccount, amount } = t;
      if (id >= RECONCILED_BIT) this.#inFlight.open.delete(id ^ RECONCILED_BIT);
      done = this.#record({ id, debitAccount, creditAccount, amount, timeoutMs: 0 });
    } else if (result === R.exists) {
      done = this.#afterBarrier(result);
    }
    return typeof done === 'string' ? RESOLVED[done] : done;
  }

  getBalance(id: string): Promise<AccountBalance | undefined> {
    const error = this.#unusable();
    return error === undefined ? this.#inner.getBalance(id) : Promise.reject(error);
  }

  listAccounts(): Promise<string[]> {
    const error = this.#unusable();
    if (error !== undefined) return Promise.reject(error);
    return this.#inner.listAccounts();
  }

  voidExpired(nowMs?: number): Promise<number> {
    const error = this.#unusable() ?? checkNowMs(nowMs);
    if (error !== undefined) return Promise.reject(error);
    return this.#inner.voidExpired(nowMs);
  }

  holdInFlight(t: PendingTransfer, tag: Uint8Array): TransferResult | Promise<TransferResult> {
    const result = this.holdNow(t);
    if (result !== R.ok) return result;
    if (tag.length > MAX_TAG_BYTES) {
      this.#inner.voidNow(t.id);
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `in-flight tag of ${tag.length} bytes`);
    }
    const { id, debitAccount, creditAccount, amount, timeoutMs } = t;
    const record = { type: RECORD_TYPE.inFlight, id, debitAccount, creditAccount, amount, timeoutMs, tag };
    this.#inFlight.open.set(id, record);
    const written = this.#store?.appendHold(record);
    if (written === undefined) return R.ok;
    // One derived promise per batch, not per hold.
    if (written !== this.#lastWritten) {
      this.#lastWritten = written;
      this.#lastWrittenOk = written.then(toOk);
    }
    return this.#lastWrittenOk;
  }

  settleInFlight(id: bigint): void {
    if (this.#unusable() !== undefined || !this.#inFlight.open.delete(id)) return;
    // Not waited for: losing it only makes a restart ask the peer about a settled packet.
    this.#store?.appendHold({ type: RECORD_TYPE.settled, id })?.catch(() => undefined);
  }

  reconcileInFlight(id: bigint): Promise<TransferResult> {
    const error = this.#unusable();
    if (error !== undefined) return Promise.reject(error);
    const hold = this.#inFlight.open.get(id);
    if (hold === undefined) return RESOLVED[R.pendingNotFound];
    this.#inner.voidNow(id); // still pending only when reconciled before its outcome came
    const { debitAccount, creditAccount, amount } = hold;
    return this.transfer({ id: reconciledId(id), debitAccount, creditAccount, amount });
  }

  reRecordInFlight(hold: InFlightHold): void {
    if (this.#unusable() !== undefined || !this.#inFlight.open.has(hold.id)) return;
    const record = { type: RECORD_TYPE.inFlight, ...hold } as const;
    if (this.#inFlight.outcomeLost.has(this.#inFlight.open.get(hold.id)!))
      this.#inFlight.outcomeLost.add(record);
    this.#inFlight.open.set(hold.id, record);
    this.#store?.appendHold(record)?.catch(() => undefined);
  }

  inFlight(id: bigint): InFlightHold | undefined {
    return this.#inFlight.open.get(id);
  }

  outcomeLost(id: bigint): boolean {
    const record = this.#inFlight.open.get(id);
    return record !== undefined && this.#inFlight.outcomeLost.has(record);
  }

  openInFlight(): InFlightHold[] {
    return [...this.#inFlight.open.values()];
  }

  memo(untilMs: number, data: Uint8Array): void {
    if (this.#unusable() !== undefined) return;
    if (data.length > MAX_TAG_BYTES) throw new ConnectorError('ERR_INVALID_ARGUMENT', 'memo too long');
    const record = { type: RECORD_TYPE.memo, untilMs, data } as const;
    this.#inFlight.addMemo(record);
    this.#store?.append(record)?.catch(() => undefined);
  }

  memos(nowMs: number): LedgerMemo[] {
    return this.#inFlight.memos(nowMs);
  }

  /** Journals a posting in the tick the memory ledger applied it. */
  #record(p: PostingFields): TransferResult | Promise<TransferResult> {
    const done = this.#store!.append(p);
    if (done === undefined) return R.ok;
    // One derived promise per batch, not per posting: every posting of a batch shares it.
    if (done !== this.#lastDone) {
      this.#lastDone = done;
      this.#lastOk = done.then(toOk);
    }
    return this.#lastOk;
  }

  #afterBarrier(result: TransferResult): TransferResult | Promise<TransferResult> {
    const barrier = this.#store?.barrier();
    return barrier === undefined ? result : barrier.then(() => result);
  }

  #unusable(): ConnectorError | undefined {
    return checkOpen(this.#label, this.#phase) ?? this.#store?.failure;
  }
}
