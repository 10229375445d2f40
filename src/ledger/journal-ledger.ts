/**
 * The default durable backend (DESIGN.md §6): a memory ledger whose postings are made durable by
 * an append-only journal with group commit, compacted by periodic snapshots. Only what must
 * survive is journaled: accounts and limits, single-phase transfers, posted holds. Holds and voids
 * are not: a crash voids every pending hold by construction. A post or transfer resolves once its
 * record is durable, so a Fulfill passed upstream is never lost. README.md, "Journal", has the
 * file format and the recovery rules.
 */
import { mkdir } from 'node:fs/promises';
import { ConnectorError } from '../utils/errors.js';
import { type AccountRecord, RECORD_TYPE } from './journal-codec.js';
import { type JournalPaths, journalPaths } from './journal-files.js';
import {
  type JournalDurability,
  type JournalLedgerOptions,
  type ResolvedJournalOptions,
  resolveJournalOptions,
} from './journal-options.js';
import { checkNewAccountId, isOpening, OPENING_BALANCES } from './journal-restore.js';
import { PostedState, Posting } from './journal-state.js';
import { JournalStore } from './journal-store.js';
import {
  type AccountBalance,
  type AccountOptions,
  type Ledger,
  type PendingTransfer,
  TRANSFER_RESULT as R,
  type SyncTransfers,
  type Transfer,
  type TransferResult,
} from './ledger.js';
import { MemoryLedger } from './memory-ledger.js';
import { checkAccountId, checkAccountOptions, checkNowMs } from './validate.js';

const RESOLVED = Object.fromEntries(Object.values(R).map((r) => [r, Promise.resolve(r)])) as Record<
  TransferResult,
  Promise<TransferResult>
>;
const RESOLVED_VOID = Promise.resolve();
const toOk = (): TransferResult => R.ok;

export class JournalLedger implements Ledger, SyncTransfers {
  readonly name = 'journal';
  readonly durability: JournalDurability;
  readonly #options: ResolvedJournalOptions;
  readonly #paths: JournalPaths;
  readonly #now: () => number;
  readonly #inner: MemoryLedger;
  /** Undefined with durability 'off': nothing to make durable, every call goes to the memory ledger. */
  readonly #state: PostedState | undefined;
  /** Pending holds, so that a post can journal what it posted; bounded like the memory ledger's. */
  readonly #holds = new Map<bigint, Posting>();
  #store: JournalStore | undefined;
  #phase: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #frozenNowMs: number | undefined;
  #hidesOpening = false;
  #pruneTimer: NodeJS.Timeout | undefined;
  /** transfer() calls between the memory ledger's answer and their record. */
  readonly #transfers = new Set<Promise<unknown>>();
  #lastDone: Promise<void> | undefined;
  #lastOk: Promise<TransferResult> = RESOLVED[R.ok];

  constructor(options: JournalLedgerOptions = {}) {
    this.#options = resolveJournalOptions(options);
    this.durability = this.#options.durability;
    this.#paths = journalPaths(this.#options.snapshotPath);
    this.#now = options.now ?? Date.now;
    const clock = () => this.#frozenNowMs ?? this.#now();
    const { maxRememberedTransfers, sweepIntervalMs } = this.#options;
    this.#inner = new MemoryLedger({ now: clock, maxRememberedTransfers, sweepIntervalMs });
    this.#state =
      this.durability === 'off' ? undefined : new PostedState(this.#options.maxRememberedTransfers);
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
    if (this.#phase === 'closed' || this.#opening === undefined) return Promise.reject(this.#notOpen());
    return this.#opening;
  }

  async #open(): Promise<void> {
    await this.#inner.open();
    if (this.#state === undefined) return;
    await mkdir(this.#paths.dir, { recursive: true });
    this.#store = await JournalStore.open(this.#paths, this.#options, this.#state);
    this.#frozenNowMs = this.#now();
    try {
      this.#hidesOpening = await this.#store.restore(this.#inner);
    } finally {
      this.#frozenNowMs = undefined;
    }
    const prune = () => this.#prune(this.#now());
    this.#pruneTimer = setInterval(prune, this.#options.sweepIntervalMs).unref();
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
      await Promise.allSettled(this.#transfers);
      await this.#store?.close();
    } finally {
      await this.#release();
    }
  }

  async #release(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#holds.clear();
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
    if (id === OPENING_BALANCES || !this.#inner.hasAccount(id)) {
      return Promise.reject(new ConnectorError('ERR_INVALID_ARGUMENT', `no ledger account ${id}`));
    }
    return this.#setAccount(this.#inner.setLimits(id, options), id, options);
  }

  /** The memory ledger applied the change synchronously; journal it in the same tick. */
  #setAccount(applied: Promise<void>, id: string, options: AccountOptions | undefined): Promise<void> {
    const state = this.#state;
    if (state === undefined) return applied;
    const { debitLimit, creditLimit } = options ?? {};
    state.setAccount(id, debitLimit, creditLimit);
    const record: AccountRecord = { type: RECORD_TYPE.account, id, debitLimit, creditLimit };
    const durable = this.#store?.append(record) ?? RESOLVED_VOID;
    return applied.then(() => durable);
  }

  hasAccount(id: string): boolean {
    const error = this.#unusable();
    if (error !== undefined) throw error;
    return this.#inner.hasAccount(id) && !(this.#hidesOpening && id === OPENING_BALANCES);
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
    if (this.#hidesOpening && isOpening(t)) return R.accountNotFound;
    const result = this.#inner.holdNow(t);
    if (result === R.ok && this.#state !== undefined) {
      // Read the clock after the memory ledger did, so this hold never expires here first.
      const expiresAtMs = this.#now() + t.timeoutMs;
      this.#holds.set(t.id, Posting.ofHold(t, expiresAtMs));
    }
    return result;
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
    const result = this.#inner.postNow(id);
    if (this.#state === undefined) return result;
    const hold = this.#holds.get(id);
    // Whatever the answer, the hold is no longer pending in the memory ledger.
    if (hold !== undefined) this.#holds.delete(id);
    if (result === R.ok) {
      if (hold === undefined) throw new Error(`journal ledger invariant: posted hold ${id} was not tracked`);
      return this.#record(hold);
    }
    // The earlier post may still be on its way to the disk.
    return result === R.pendingAlreadyPosted ? this.#afterBarrier(result) : result;
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
    this.#holds.delete(id);
    return this.#inner.voidNow(id);
  }

  transfer(t: Transfer): Promise<TransferResult> {
    const error = this.#unusable();
    if (error !== undefined) return Promise.reject(error);
    if (this.#hidesOpening && isOpening(t)) return RESOLVED[R.accountNotFound];
    const applied = this.#inner.transfer(t);
    if (this.#state === undefined) return applied;
    const posting = Posting.ofTransfer(t);
    // The memory ledger answers only through a promise; ordering is kept since its promise is
    // already settled: the reaction runs before any other I/O callback. README.md, "Journal".
    const done = applied.then((result) => {
      if (result === R.ok) return this.#record(posting);
      return result === R.exists ? this.#afterBarrier(result) : result;
    });
    this.#transfers.add(done);
    const forget = () => this.#transfers.delete(done);
    done.then(forget, forget);
    return done;
  }

  getBalance(id: string): Promise<AccountBalance | undefined> {
    if (this.#hidesOpening && id === OPENING_BALANCES && this.#unusable() === undefined) {
      return Promise.resolve(undefined);
    }
    const error = this.#unusable();
    return error === undefined ? this.#inner.getBalance(id) : Promise.reject(error);
  }

  listAccounts(): Promise<string[]> {
    const error = this.#unusable();
    if (error !== undefined) return Promise.reject(error);
    const all = this.#inner.listAccounts();
    return this.#hidesOpening ? all.then((ids) => ids.filter((id) => id !== OPENING_BALANCES)) : all;
  }

  voidExpired(nowMs?: number): Promise<number> {
    const error = this.#unusable() ?? checkNowMs(nowMs);
    if (error !== undefined) return Promise.reject(error);
    const voided = this.#inner.voidExpired(nowMs);
    this.#prune(nowMs ?? this.#now());
    return voided;
  }

  /** Applies a posting to the durable state and journals it, in one tick. */
  #record(p: Posting): TransferResult | Promise<TransferResult> {
    this.#state!.post(p);
    const store = this.#store!;
    const done = store.append(p);
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

  /** Forgets holds the memory ledger has voided as expired (it does not tell us). */
  #prune(nowMs: number): void {
    for (const [id, hold] of this.#holds) if (hold.expiresAtMs <= nowMs) this.#holds.delete(id);
  }

  #unusable(): ConnectorError | undefined {
    if (this.#phase !== 'open') return this.#notOpen();
    return this.#store?.failure;
  }

  #notOpen(): ConnectorError {
    const what = this.#phase === 'closed' ? 'closed' : 'not open';
    return new ConnectorError('ERR_LEDGER', `journal ledger ${this.#paths.snapshot} is ${what}`);
  }
}
