/**
 * A deliberately naive reference model of the ledger contract, for the model-based test: unbounded
 * maps, no shared code with any backend, each rule written out as README.md states it.
 */
import type { AccountBalance, AccountOptions, TransferResult } from '../../src/ledger/index.js';
import { TRANSFER_RESULT as R, U128_MAX } from '../../src/ledger/index.js';

interface ModelAccount extends AccountBalance {
  limits: AccountOptions;
}

interface ModelTransfer {
  debit: string;
  credit: string;
  amount: bigint;
  /** undefined for a single-phase transfer. */
  timeoutMs: number | undefined;
  expiresAtMs: number;
  state: 'pending' | 'posted' | 'voided' | 'expired' | 'single';
}

export class LedgerModel {
  readonly accounts = new Map<string, ModelAccount>();
  readonly transfers = new Map<bigint, ModelTransfer>();
  constructor(private readonly now: () => number) {}

  createAccount(id: string, limits: AccountOptions): void {
    const existing = this.accounts.get(id);
    if (existing) existing.limits = limits;
    else
      this.accounts.set(id, {
        debitsPending: 0n,
        debitsPosted: 0n,
        creditsPending: 0n,
        creditsPosted: 0n,
        limits,
      });
  }

  balance(id: string): AccountBalance | undefined {
    const a = this.accounts.get(id);
    if (!a) return undefined;
    return {
      debitsPending: a.debitsPending,
      debitsPosted: a.debitsPosted,
      creditsPending: a.creditsPending,
      creditsPosted: a.creditsPosted,
    };
  }

  hold(id: bigint, debit: string, credit: string, amount: bigint, timeoutMs: number): TransferResult {
    return this.#create(id, {
      debit,
      credit,
      amount,
      timeoutMs,
      expiresAtMs: this.now() + timeoutMs,
      state: 'pending',
    });
  }

  transfer(id: bigint, debit: string, credit: string, amount: bigint): TransferResult {
    return this.#create(id, { debit, credit, amount, timeoutMs: undefined, expiresAtMs: 0, state: 'single' });
  }

  post(id: bigint): TransferResult {
    return this.#finish(id, 'posted');
  }

  void(id: bigint): TransferResult {
    return this.#finish(id, 'voided');
  }

  voidExpired(nowMs: number): number {
    let count = 0;
    for (const t of this.transfers.values()) {
      if (t.state === 'pending' && nowMs >= t.expiresAtMs) {
        this.#settle(t, 'expired');
        count += 1;
      }
    }
    return count;
  }

  #create(id: bigint, t: ModelTransfer): TransferResult {
    if (t.amount <= 0n || t.amount > U128_MAX) return R.invalidAmount;
    if (t.debit === t.credit) return R.sameAccount;
    const dr = this.accounts.get(t.debit);
    const cr = this.accounts.get(t.credit);
    if (!dr || !cr) return R.accountNotFound;
    const old = this.transfers.get(id);
    if (old) {
      const same =
        old.debit === t.debit &&
        old.credit === t.credit &&
        old.amount === t.amount &&
        old.timeoutMs === t.timeoutMs;
      return same ? R.exists : R.idMismatch;
    }
    const drUse = dr.debitsPending + dr.debitsPosted - dr.creditsPosted + t.amount;
    if (dr.limits.debitLimit !== undefined && drUse > dr.limits.debitLimit) return R.exceedsDebitLimit;
    const crUse = cr.creditsPending + cr.creditsPosted - cr.debitsPosted + t.amount;
    if (cr.limits.creditLimit !== undefined && crUse > cr.limits.creditLimit) return R.exceedsCreditLimit;
    if (t.state === 'pending') {
      dr.debitsPending += t.amount;
      cr.creditsPending += t.amount;
    } else {
      dr.debitsPosted += t.amount;
      cr.creditsPosted += t.amount;
    }
    this.transfers.set(id, t);
    return R.ok;
  }

  #finish(id: bigint, outcome: 'posted' | 'voided'): TransferResult {
    const t = this.transfers.get(id);
    if (!t || t.state === 'single') return R.pendingNotFound;
    if (t.state === 'posted') return R.pendingAlreadyPosted;
    if (t.state === 'voided') return R.pendingAlreadyVoided;
    if (t.state === 'expired') return R.pendingExpired;
    if (this.now() >= t.expiresAtMs) {
      this.#settle(t, 'expired');
      return R.pendingExpired;
    }
    this.#settle(t, outcome);
    return R.ok;
  }

  #settle(t: ModelTransfer, state: 'posted' | 'voided' | 'expired'): void {
    const dr = this.accounts.get(t.debit)!;
    const cr = this.accounts.get(t.credit)!;
    dr.debitsPending -= t.amount;
    cr.creditsPending -= t.amount;
    if (state === 'posted') {
      dr.debitsPosted += t.amount;
      cr.creditsPosted += t.amount;
    }
    t.state = state;
  }
}
