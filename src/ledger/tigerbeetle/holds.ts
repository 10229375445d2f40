/**
 * The holds this TigerBeetle ledger instance made, kept so that a post needs no lookup (it must
 * send the exact amount: what amount 0 means on post changed in TigerBeetle 0.16) and so that a
 * hold expires at its exact millisecond, where TigerBeetle's own timeout is in whole seconds. TigerBeetle
 * stays the authority: its timeout voids the hold even if this process is gone. Pending holds
 * are bounded by the caller (one per packet in flight); finished ones are remembered in a FIFO
 * window of `capacity`, past which TigerBeetle's own answers apply (../README.md).
 */
import { TRANSFER_RESULT as R, type TransferResult } from '../ledger.js';
import type { AccountIds } from './ids.js';

export const HOLD_PENDING = 0;
export const HOLD_POSTED = 1;
export const HOLD_VOIDED = 2;
export const HOLD_EXPIRED = 3;

/** What post or void of a hold in a finished state answers. */
export function finishedResult(state: number): TransferResult {
  if (state === HOLD_POSTED) return R.pendingAlreadyPosted;
  return state === HOLD_VOIDED ? R.pendingAlreadyVoided : R.pendingExpired;
}

/** The state a refused post or void reveals, if any. */
export function stateAfter(result: TransferResult): number | undefined {
  if (result === R.pendingAlreadyPosted) return HOLD_POSTED;
  if (result === R.pendingAlreadyVoided) return HOLD_VOIDED;
  return result === R.pendingExpired ? HOLD_EXPIRED : undefined;
}

export class HoldRecord {
  state = HOLD_PENDING;
  /** Set while the void that expires this hold is in flight, so it is sent once. */
  expiring: Promise<TransferResult> | undefined = undefined;

  constructor(
    readonly id: bigint,
    readonly debit: AccountIds,
    readonly credit: AccountIds,
    readonly amount: bigint,
    /** By this ledger's clock; Infinity for a hold found by lookup (TigerBeetle expires it). */
    readonly expiresAtMs: number,
  ) {}
}

export class HoldRegistry {
  readonly #pending = new Map<bigint, HoldRecord>();
  readonly #finished = new Map<bigint, HoldRecord>();

  constructor(readonly capacity: number) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  get(id: bigint): HoldRecord | undefined {
    return this.#pending.get(id) ?? this.#finished.get(id);
  }

  addPending(record: HoldRecord): void {
    this.#pending.set(record.id, record);
  }

  /** Moves a pending hold to the finished window, evicting the oldest finished one when full. */
  finish(record: HoldRecord, state: number): void {
    if (record.state !== HOLD_PENDING) return;
    record.state = state;
    this.#pending.delete(record.id);
    this.#finished.set(record.id, record);
    if (this.#finished.size > this.capacity) {
      this.#finished.delete(this.#finished.keys().next().value as bigint);
    }
  }

  /** Pending holds expired at `nowMs` whose expiry is not already under way. */
  expired(nowMs: number): HoldRecord[] {
    const out: HoldRecord[] = [];
    for (const r of this.#pending.values()) if (nowMs >= r.expiresAtMs && !r.expiring) out.push(r);
    return out;
  }

  clear(): void {
    this.#pending.clear();
    this.#finished.clear();
  }
}
