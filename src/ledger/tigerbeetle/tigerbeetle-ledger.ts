// One file (~320 lines): each call's glue over private account and hold maps; its parts are siblings.
/**
 * The TigerBeetle backend (DESIGN.md §6): accounts and two-phase transfers kept by a TigerBeetle
 * cluster through tigerbeetle-node, loaded only when `open` runs. Holds are pending transfers
 * with TigerBeetle timeouts, posts and voids are post/void_pending_transfer, limits are checked
 * by TigerBeetle inside each linked chain (chains.ts), and calls are batched into
 * few requests (batcher.ts). ../README.md, "TigerBeetle", states the scheme and its limits.
 */
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import {
  type AccountBalance,
  type AccountOptions,
  type Ledger,
  type PendingTransfer,
  TRANSFER_RESULT as R,
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
import { addsLimit, checkLimitRange, checkMirrors, ensureAccount } from './accounts.js';
import type { TigerBeetleBatcher } from './batcher.js';
import {
  type ChainContext,
  createChain,
  createResult,
  finishResult,
  type LimitedAccount,
  postChain,
  voidChain,
} from './chains.js';
import { TRANSFER_FLAGS } from './client.js';
import { type Connection, connect, withTimeout } from './connect.js';
import {
  finishedResult,
  HOLD_PENDING,
  HOLD_POSTED,
  HOLD_VOIDED,
  HoldRecord,
  HoldRegistry,
  stateAfter,
} from './holds.js';
import { accountIds, expiryVoidId, FreshIds, mirrorsOf, probeAccountId } from './ids.js';
import { openOptions, type ResolvedOptions, type TigerBeetleLedgerOptions } from './options.js';

export type { TigerBeetleLedgerOptions } from './options.js';

interface AccountState extends LimitedAccount {
  name: string;
}

/** Names this backend in its errors. */
const LABEL = 'tigerbeetle ledger';
const RESOLVED = Object.fromEntries(Object.values(R).map((r) => [r, Promise.resolve(r)])) as Record<
  TransferResult,
  Promise<TransferResult>
>;

export class TigerBeetleLedger implements Ledger {
  readonly name = 'tigerbeetle';
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #ctx: ChainContext;
  readonly #accounts = new Map<string, AccountState>();
  readonly #holds: HoldRegistry;
  #phase: 'new' | 'open' | 'closed' = 'new';
  #opening: Promise<void> | undefined;
  #connection: Connection | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: TigerBeetleLedgerOptions) {
    this.#options = openOptions(options);
    this.#logger = options.logger;
    const { ledger, code } = this.#options;
    this.#ctx = { ledger, code, probeAccount: probeAccountId(ledger), fresh: new FreshIds() };
    this.#holds = new HoldRegistry(this.#options.maxRememberedTransfers);
  }

  /** Holds this instance made that are not yet posted, voided or expired. */
  get pendingCount(): number {
    return this.#holds.pendingCount;
  }

  open(): Promise<void> {
    if (this.#phase === 'closed') return Promise.reject(this.#notOpen());
    if (this.#phase === 'open') return Promise.resolve();
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async close(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    clearInterval(this.#sweepTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) {
      await withTimeout(connection.batcher.idle(), this.#options.connectTimeoutMs).catch(() => undefined);
      connection.release(this.#notOpen());
    }
    this.#accounts.clear();
    this.#holds.clear();
  }

  async createAccount(id: string, options?: AccountOptions): Promise<void> {
    const batcher = this.#open();
    const error = checkAccountId(id) ?? checkAccountOptions(options) ?? checkLimitRange(options);
    if (error !== undefined) throw error;
    const ids = accountIds(this.#ctx.ledger, id);
    const created = await ensureAccount(batcher, this.#ctx, id, ids);
    const known = this.#accounts.get(id);
    if (!created && addsLimit(known, options)) await checkMirrors(batcher, id, ids);
    const state = known ?? { name: id, ids, debitLimit: undefined, creditLimit: undefined };
    state.debitLimit = options?.debitLimit;
    state.creditLimit = options?.creditLimit;
    this.#accounts.set(id, state);
  }

  async setLimits(id: string, options: AccountOptions): Promise<void> {
    const batcher = this.#open();
    const error = checkAccountOptions(options) ?? checkLimitRange(options);
    if (error !== undefined) throw error;
    const known = this.#accounts.get(id);
    if (known === undefined) throw new ConnectorError('ERR_INVALID_ARGUMENT', `no ledger account ${id}`);
    if (addsLimit(known, options)) await checkMirrors(batcher, id, known.ids);
    known.debitLimit = options.debitLimit;
    known.creditLimit = options.creditLimit;
  }

  hasAccount(id: string): boolean {
    this.#open();
    return this.#accounts.has(id);
  }

  hold(t: PendingTransfer): Promise<TransferResult> {
    const error = this.#checkOpen() ?? checkTransferId(t.id) ?? checkTimeoutMs(t.timeoutMs);
    if (error !== undefined) return Promise.reject(error);
    return this.#create(t, t.timeoutMs);
  }

  transfer(t: Transfer): Promise<TransferResult> {
    const error = this.#checkOpen() ?? checkTransferId(t.id);
    if (error !== undefined) return Promise.reject(error);
    return this.#create(t, 0);
  }

  post(id: bigint): Promise<TransferResult> {
    const error = this.#checkOpen() ?? checkTransferId(id);
    if (error !== undefined) return Promise.reject(error);
    const record = this.#holds.get(id);
    if (record === undefined) return this.#postUnknown(id);
    if (record.state !== HOLD_PENDING) return RESOLVED[finishedResult(record.state)];
    if (this.#options.now() >= record.expiresAtMs) return this.#expire(record);
    return this.#finish(postChain(this.#ctx, record), id, record, HOLD_POSTED);
  }

  void(id: bigint): Promise<TransferResult> {
    const error = this.#checkOpen() ?? checkTransferId(id);
    if (error !== undefined) return Promise.reject(error);
    const record = this.#holds.get(id);
    if (record !== undefined && record.state !== HOLD_PENDING) return RESOLVED[finishedResult(record.state)];
    if (record !== undefined && this.#options.now() >= record.expiresAtMs) return this.#expire(record);
    return this.#finish(voidChain(this.#ctx, id, this.#ctx.fresh.next()), id, record, HOLD_VOIDED);
  }

  async getBalance(id: string): Promise<AccountBalance | undefined> {
    const batcher = this.#open();
    const known = this.#accounts.get(id);
    if (known === undefined) return undefined;
    const [a] = await batcher.lookupAccounts([known.ids.main]);
    if (a === undefined) throw new ConnectorError('ERR_LEDGER', `TigerBeetle has no account for ${id}`);
    return {
      debitsPending: a.debits_pending,
      debitsPosted: a.debits_posted,
      creditsPending: a.credits_pending,
      creditsPosted: a.credits_posted,
    };
  }

  /** The accounts created (or re-created) through this instance: TigerBeetle 0.15-0.17 cannot list them. */
  async listAccounts(): Promise<string[]> {
    this.#open();
    return [...this.#accounts.keys()];
  }

  /**
   * Voids this instance's holds whose timeout passed at `nowMs` and counts them. TigerBeetle
   * expires every hold by itself (in whole seconds, even holds of another process); those are not
   * counted unless this instance made them.
   */
  async voidExpired(nowMs?: number): Promise<number> {
    this.#open();
    const error = checkNowMs(nowMs);
    if (error !== undefined) throw error;
    const expired = this.#holds.expired(nowMs ?? this.#options.now());
    const results = await Promise.all(expired.map((record) => this.#expire(record)));
    return results.filter((r) => r === R.pendingExpired).length;
  }

  async #connect(): Promise<void> {
    const connection = await connect(this.#options, this.#ctx);
    if (this.#phase === 'closed') {
      connection.release(this.#notOpen());
      throw this.#notOpen();
    }
    this.#connection = connection;
    this.#phase = 'open';
    // unref: a safety net for holds the caller forgot must never keep the process alive.
    this.#sweepTimer = setInterval(() => this.#sweep(), this.#options.sweepIntervalMs).unref();
    const { clusterId, replicaAddresses } = this.#options;
    this.#logger.info({ clusterId: String(clusterId), replicaAddresses }, 'TigerBeetle ledger connected');
  }

  #sweep(): void {
    this.voidExpired().catch((err: unknown) => {
      if (this.#phase === 'open')
        this.#logger.warn({ err }, 'TigerBeetle ledger: voiding expired holds failed');
    });
  }

  #create(t: Transfer, timeoutMs: number): Promise<TransferResult> {
    if (!isValidAmount(t.amount)) return RESOLVED[R.invalidAmount];
    if (t.debitAccount === t.creditAccount) return RESOLVED[R.sameAccount];
    const debit = this.#accounts.get(t.debitAccount);
    const credit = this.#accounts.get(t.creditAccount);
    if (debit === undefined || credit === undefined) return RESOLVED[R.accountNotFound];
    const chain = createChain(this.#ctx, { id: t.id, amount: t.amount, timeoutMs }, debit, credit);
    const expiresAtMs = this.#options.now() + timeoutMs;
    return this.#batcher()
      .createTransfers(chain.events)
      .then((codes) => {
        const result = createResult(chain, codes);
        if (result === R.ok && timeoutMs > 0) {
          this.#holds.addPending(new HoldRecord(t.id, debit.ids, credit.ids, t.amount, expiresAtMs));
        }
        return result;
      });
  }

  /** A hold this instance does not know (made elsewhere, or before a restart): its amount is looked up. */
  async #postUnknown(id: bigint): Promise<TransferResult> {
    const [found] = await this.#batcher().lookupTransfers([id]);
    if (found === undefined || (found.flags & TRANSFER_FLAGS.pending) === 0) return R.pendingNotFound;
    const { debit_account_id: debit, credit_account_id: credit, amount } = found;
    const record = new HoldRecord(id, mirrorsOf(debit), mirrorsOf(credit), amount, Number.POSITIVE_INFINITY);
    return this.#finish(postChain(this.#ctx, record), id, undefined, HOLD_POSTED);
  }

  async #finish(
    chain: ReturnType<typeof postChain>,
    id: bigint,
    record: HoldRecord | undefined,
    state: number,
  ): Promise<TransferResult> {
    const codes = await this.#batcher().createTransfers(chain.events);
    let result = finishResult(chain, codes);
    if (result === R.pendingAlreadyVoided) result = await this.#voidedOrExpired(id);
    if (record !== undefined) {
      const after = result === R.ok ? state : stateAfter(result);
      if (after !== undefined) this.#holds.finish(record, after);
    }
    return result;
  }

  /** Voids a hold past its timeout (unless TigerBeetle already did); answers pending_expired. */
  #expire(record: HoldRecord): Promise<TransferResult> {
    if (record.expiring !== undefined) return record.expiring;
    const chain = voidChain(this.#ctx, record.id, expiryVoidId(record.id));
    const sent = this.#batcher()
      .createTransfers(chain.events)
      .then(async (codes) => {
        let result = finishResult(chain, codes, R.pendingExpired);
        if (result === R.ok) result = R.pendingExpired;
        if (result === R.pendingAlreadyVoided) result = await this.#voidedOrExpired(record.id);
        const after = stateAfter(result);
        if (after !== undefined) this.#holds.finish(record, after);
        return result;
      });
    record.expiring = sent;
    return sent;
  }

  /** TigerBeetle says "already voided": by our expiry void (derived id) or by a void. */
  async #voidedOrExpired(id: bigint): Promise<TransferResult> {
    const [expiry] = await this.#batcher().lookupTransfers([expiryVoidId(id)]);
    return expiry === undefined ? R.pendingAlreadyVoided : R.pendingExpired;
  }

  #open(): TigerBeetleBatcher {
    const error = this.#checkOpen();
    if (error !== undefined) throw error;
    return this.#batcher();
  }

  /** Only called once the phase is checked to be open. */
  #batcher(): TigerBeetleBatcher {
    return this.#connection!.batcher;
  }

  #checkOpen(): ConnectorError | undefined {
    return checkOpen(LABEL, this.#phase);
  }

  #notOpen(): ConnectorError {
    return notOpenError(LABEL, this.#phase);
  }
}
