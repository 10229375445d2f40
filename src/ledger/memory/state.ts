/**
 * The memory ledger's posted state, out and back in: what a durable backend snapshots and restores
 * (accounts with their limits and posted counters, and the postings of the idempotency window).
 * Pending holds are not part of it: a restart voids them.
 */
import { ConnectorError } from '../../utils/errors.js';
import type { RecentTransfers } from './recent-transfers.js';
import { Account, POSTED, SINGLE, TransferRecord } from './records.js';

/** A posted hold (its `timeoutMs`, at least 1) or a single-phase transfer (`timeoutMs` 0). */
export interface PostedTransfer {
  readonly id: bigint;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

export interface PostedAccount {
  readonly id: string;
  readonly debitLimit: bigint | undefined;
  readonly creditLimit: bigint | undefined;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
}

export interface PostedLedgerState {
  readonly accounts: readonly PostedAccount[];
  /** The remembered postings, oldest first, each id once; their amounts are in the counters. */
  readonly recent: readonly PostedTransfer[];
}

/** A copy of the counters; the postings are the ledger's own records (immutable once finished). */
export function exportPosted(
  accounts: ReadonlyMap<string, Account>,
  transfers: RecentTransfers<TransferRecord>,
): PostedLedgerState {
  const out: PostedAccount[] = [];
  for (const a of accounts.values()) {
    const { id, debitLimit, creditLimit, debitsPosted, creditsPosted } = a;
    out.push({ id, debitLimit, creditLimit, debitsPosted, creditsPosted });
  }
  const recent = transfers.finished().filter((r) => r.state === POSTED || r.state === SINGLE);
  return { accounts: out, recent };
}

/** Loads `state` into an empty ledger. Limits are not checked: they held when each was posted. */
export function importPosted(
  state: PostedLedgerState,
  accounts: Map<string, Account>,
  transfers: RecentTransfers<TransferRecord>,
): void {
  if (accounts.size > 0) throw invalid('restore needs an empty ledger');
  for (const a of state.accounts) {
    if (accounts.has(a.id)) throw invalid(`account ${JSON.stringify(a.id)} appears twice`);
    const account = new Account(a.id, undefined);
    account.debitLimit = a.debitLimit;
    account.creditLimit = a.creditLimit;
    account.debitsPosted = a.debitsPosted;
    account.creditsPosted = a.creditsPosted;
    accounts.set(a.id, account);
  }
  for (const p of state.recent) {
    const debit = accounts.get(p.debitAccount);
    const credit = accounts.get(p.creditAccount);
    if (debit === undefined || credit === undefined)
      throw invalid(`transfer ${p.id} names an unknown account`);
    if (transfers.get(p.id) !== undefined) throw invalid(`transfer ${p.id} appears twice`);
    const state = p.timeoutMs === 0 ? SINGLE : POSTED;
    transfers.add(p.id, new TransferRecord(p.id, debit, credit, p.amount, p.timeoutMs, 0, state));
  }
}

function invalid(why: string): ConnectorError {
  return new ConnectorError('ERR_INVALID_ARGUMENT', `memory ledger restore: ${why}`);
}
