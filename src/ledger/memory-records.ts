/**
 * The memory backend's state: accounts with TigerBeetle's four counters, and transfer records
 * that hold references to their accounts so post/void need no account lookup.
 */
import { type AccountOptions, TRANSFER_RESULT, type TransferResult } from './ledger.js';

// Transfer states. SINGLE marks a single-phase transfer, which shares the id space with holds.
export const PENDING = 0;
export const POSTED = 1;
export const VOIDED = 2;
export const EXPIRED = 3;
export const SINGLE = 4;

export class Account {
  debitsPending = 0n;
  debitsPosted = 0n;
  creditsPending = 0n;
  creditsPosted = 0n;
  debitLimit: bigint | undefined;
  creditLimit: bigint | undefined;
  constructor(
    readonly id: string,
    options: AccountOptions | undefined,
  ) {
    this.debitLimit = options?.debitLimit;
    this.creditLimit = options?.creditLimit;
  }
}

export class TransferRecord {
  constructor(
    readonly id: bigint,
    readonly debit: Account,
    readonly credit: Account,
    readonly amount: bigint,
    /** 0 for single-phase transfers. */
    readonly timeoutMs: number,
    readonly expiresAtMs: number,
    public state: number,
  ) {}
}

/** Answer for post/void of an id that is not pending (unknown, forgotten, or single-phase). */
export function finishedResult(record: TransferRecord | undefined): TransferResult {
  switch (record?.state) {
    case POSTED:
      return TRANSFER_RESULT.pendingAlreadyPosted;
    case VOIDED:
      return TRANSFER_RESULT.pendingAlreadyVoided;
    case EXPIRED:
      return TRANSFER_RESULT.pendingExpired;
    default:
      return TRANSFER_RESULT.pendingNotFound;
  }
}

/** TigerBeetle's order: debit side first; pending and posted both count against a limit. */
export function limitResult(debit: Account, credit: Account, amount: bigint): TransferResult | undefined {
  const dl = debit.debitLimit;
  if (dl !== undefined && debit.debitsPosted + debit.debitsPending + amount - debit.creditsPosted > dl) {
    return TRANSFER_RESULT.exceedsDebitLimit;
  }
  const cl = credit.creditLimit;
  if (cl !== undefined && credit.creditsPosted + credit.creditsPending + amount - credit.debitsPosted > cl) {
    return TRANSFER_RESULT.exceedsCreditLimit;
  }
  return undefined;
}
