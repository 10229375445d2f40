/**
 * The ledger contract: accounts and two-phase transfers in TigerBeetle's model (hold = pending
 * transfer, post, void, timeout; idempotent u128 ids). Every backend implements `Ledger` and runs
 * the shared conformance suite in test/ledger/conformance.ts. README.md states the accounting model.
 */

/** Largest amount and (exclusive) largest transfer id: TigerBeetle's u128. */
export const U128_MAX = (1n << 128n) - 1n;
/** Bounds the key size of every backend's account index (TigerBeetle maps names to u128 ids). */
export const MAX_ACCOUNT_ID_LENGTH = 128;
/** TigerBeetle stores a pending timeout as u32 seconds; no backend accepts more. */
export const MAX_TIMEOUT_MS = 0xffff_ffff * 1000;

/** Limits are replaced as a whole: an absent field means no limit on that side. */
export interface AccountOptions {
  /** Refuse a transfer that would make `debitsPosted + debitsPending - creditsPosted` exceed this. */
  debitLimit?: bigint;
  /** Refuse a transfer that would make `creditsPosted + creditsPending - debitsPosted` exceed this. */
  creditLimit?: bigint;
}

export interface AccountBalance {
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

/** A single-phase transfer: posted at once. */
export interface Transfer {
  /** Idempotency key, 0 < id < 2^128 - 1 (TigerBeetle reserves both ends). */
  id: bigint;
  debitAccount: string;
  creditAccount: string;
  /** 0 < amount <= 2^128 - 1, else 'invalid_amount'. */
  amount: bigint;
}

/** A hold: reserves `amount` on both accounts until posted, voided or expired. */
export interface PendingTransfer extends Transfer {
  /** Integer in [1, MAX_TIMEOUT_MS]; the hold expires `timeoutMs` after it was accepted. */
  timeoutMs: number;
}

export const TRANSFER_RESULT = {
  ok: 'ok',
  exists: 'exists',
  exceedsDebitLimit: 'exceeds_debit_limit',
  exceedsCreditLimit: 'exceeds_credit_limit',
  accountNotFound: 'account_not_found',
  pendingNotFound: 'pending_not_found',
  pendingAlreadyPosted: 'pending_already_posted',
  pendingAlreadyVoided: 'pending_already_voided',
  pendingExpired: 'pending_expired',
  invalidAmount: 'invalid_amount',
  sameAccount: 'same_account',
  idMismatch: 'exists_with_different_fields',
} as const;

export type TransferResult = (typeof TRANSFER_RESULT)[keyof typeof TRANSFER_RESULT];

/**
 * Refusals are results, not exceptions. Promises reject only with a `ConnectorError`:
 * `ERR_LEDGER` when the ledger is not open (before `open`, after `close`) or its storage failed,
 * `ERR_INVALID_ARGUMENT` for input no backend could store (transfer id 0 or 2^128 - 1, a bad
 * timeout, an empty or over-long account id, a negative limit, limits on an unknown account).
 */
export interface Ledger {
  /** 'memory', 'journal', 'tigerbeetle'. */
  readonly name: string;
  /** Idempotent while open; a closed ledger cannot be reopened. */
  open(): Promise<void>;
  /** Flushes and releases resources; idempotent. Every later call rejects with ERR_LEDGER. */
  close(): Promise<void>;
  /** Idempotent: creates the account or, if it exists, replaces its limits with `options`. */
  createAccount(id: string, options?: AccountOptions): Promise<void>;
  /** Replaces both limits; existing holds stay valid even if they now exceed a lowered limit. */
  setLimits(id: string, options: AccountOptions): Promise<void>;
  /** Synchronous so the packet path can check a peer without a round trip; throws if not open. */
  hasAccount(id: string): boolean;
  hold(t: PendingTransfer): Promise<TransferResult>;
  /** Posts the hold with this id: pending moves to posted on both accounts. */
  post(id: bigint): Promise<TransferResult>;
  /** Voids the hold with this id: pending is released on both accounts. */
  void(id: bigint): Promise<TransferResult>;
  transfer(t: Transfer): Promise<TransferResult>;
  getBalance(id: string): Promise<AccountBalance | undefined>;
  /** Order unspecified. */
  listAccounts(): Promise<string[]>;
  /** Voids every hold whose timeout has passed at `nowMs` (default: the ledger's clock). */
  voidExpired(nowMs?: number): Promise<number>;
}

/**
 * hold/post/void answered without a promise, for the packet path: awaiting even a settled
 * promise costs an async frame and a microtask per call. Same checks and results as the Promise
 * methods; what those would reject with is thrown. A backend that must make a posting durable
 * before it counts (the journal) answers `postNow` with a promise when it has to wait.
 */
export interface SyncTransfers {
  holdNow(t: PendingTransfer): TransferResult;
  postNow(id: bigint): TransferResult | Promise<TransferResult>;
  voidNow(id: bigint): TransferResult;
}

/** A hold whose Prepare left this node, recorded with the caller's `tag` (ledger/journal/in-flight.ts). */
export interface InFlightHold {
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
  readonly tag: Uint8Array;
}

/** Opaque data kept until `untilMs`, durable with the postings after it. */
export interface LedgerMemo {
  readonly untilMs: number;
  readonly data: Uint8Array;
}

/**
 * Reconciliation of in-flight packets across a crash (docs/settlement.md): a hold recorded before
 * its Prepare leaves stays open until posted, settled or reconciled, across restarts.
 */
export interface InFlightJournal {
  /**
   * `holdNow`, and a record of the hold with `tag`; when the hold is ok, answers (or resolves)
   * once the record is written to the journal file: it survives kill -9 (not a power loss: the
   * record is synced with the next batch, not waited for).
   */
  holdInFlight(t: PendingTransfer, tag: Uint8Array): TransferResult | Promise<TransferResult>;
  /**
   * `postNow` and a memo in one journal record: after a crash the memo exists exactly when the
   * posting does (a Fulfill passed on, and the proof of it for the peer that may not have got it).
   */
  postWithMemo(id: bigint, untilMs: number, data: Uint8Array): TransferResult | Promise<TransferResult>;
  /** The hold's outcome is final without a posting (a reject): it needs no reconciliation. */
  settleInFlight(id: bigint): void;
  /**
   * Books an open in-flight hold whose fulfillment was proven after it was voided (or lost in a
   * crash): a single-phase transfer of its amount between its accounts, id derived from the
   * hold's, durable before it resolves. Idempotent (`exists` the second time).
   */
  reconcileInFlight(id: bigint): Promise<TransferResult>;
  /** The open in-flight hold with this id. */
  inFlight(id: bigint): InFlightHold | undefined;
  /** Replaces an open in-flight hold's record (new accounts or tag); not waited for. */
  reRecordInFlight(hold: InFlightHold): void;
  /**
   * True for an open in-flight hold whose packet left the pipeline without an answer (voided on a
   * timeout or a closed link, or read back at a restart): its peer may be asked before its expiry.
   */
  outcomeLost(id: bigint): boolean;
  /** Open in-flight holds: recorded, not posted, settled or reconciled (also those of before a restart). */
  openInFlight(): InFlightHold[];
  /** Keeps `data` until `untilMs` (a bounded number of the latest); durable with the next posting. */
  memo(untilMs: number, data: Uint8Array): void;
  /** Memos still valid at `nowMs`, oldest first (also those of before a restart). */
  memos(nowMs: number): LedgerMemo[];
}
