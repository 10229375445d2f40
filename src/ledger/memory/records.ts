/**
 * The memory backend's state: accounts with TigerBeetle's four counters, and transfer records
 * that hold references to their accounts so post/void need no account lookup.
 */
import { type AccountOptions, TRANSFER_RESULT, type TransferResult } from '../ledger.js';

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
  /** Links of the list of pending holds (PendingHolds); undefined once finished. */
  prev: TransferRecord | undefined = undefined;
  next: TransferRecord | undefined = undefined;

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

  /** The `Transfer` field names, so a record can be read (and journaled) as a transfer. */
  get debitAccount(): string {
    return this.debit.id;
  }

  get creditAccount(): string {
    return this.credit.id;
  }
}

/**
 * The pending holds, for the expiry sweep: a doubly linked list through the records themselves,
 * so a hold joins and leaves it without allocating (a Set of records is rebuilt as it churns).
 */
export class PendingHolds {
  #first: TransferRecord | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(record: TransferRecord): void {
    record.next = this.#first;
    if (this.#first !== undefined) this.#first.prev = record;
    this.#first = record;
    this.#size++;
  }

  remove(record: TransferRecord): void {
    const { prev, next } = record;
    if (prev === undefined) this.#first = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    record.prev = record.next = undefined;
    this.#size--;
  }

  /** Every hold whose expiry is at or before `nowMs`, collected before the caller removes them. */
  expired(nowMs: number): TransferRecord[] {
    const out: TransferRecord[] = [];
    for (let r = this.#first; r !== undefined; r = r.next) if (nowMs >= r.expiresAtMs) out.push(r);
    return out;
  }

  clear(): void {
    this.#first = undefined;
    this.#size = 0;
  }
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
