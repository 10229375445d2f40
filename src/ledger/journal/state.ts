/**
 * What the journal backend loads at open: the fold of the snapshot and the journal's records
 * (every account with its limits and posted counters, and the most recent postings so that their
 * ids stay idempotent across a restart), checked, then handed to the memory ledger (`restore`).
 * At run time the memory ledger's own state is the durable state: each change to it is appended
 * in the same tick, so its export at a generation switch matches that journal position exactly.
 * Pending holds are not part of it: a crash voids them.
 */
import { ConnectorError } from '../../utils/errors.js';
import { U128_MAX } from '../ledger.js';
import type { PostedAccount, PostedLedgerState, PostedTransfer } from '../memory/state.js';
import { checkAccountId, checkAccountOptions, checkTimeoutMs, checkTransferId } from '../validate.js';
import { type JournalRecord, type PostingFields, type PostingRecord, RECORD_TYPE } from './codec.js';
import type { InFlightBook } from './in-flight.js';

class LoadedAccount {
  debitLimit: bigint | undefined;
  creditLimit: bigint | undefined;
  debitsPosted = 0n;
  creditsPosted = 0n;

  constructor(debitLimit: bigint | undefined, creditLimit: bigint | undefined) {
    this.debitLimit = debitLimit;
    this.creditLimit = creditLimit;
  }
}

export class LoadedState {
  readonly accounts = new Map<string, LoadedAccount>();
  /** How many recent postings are kept: the memory ledger's idempotency window. */
  readonly capacity: number;
  /** A ring of the last `capacity` postings; `#oldest` is where the next one overwrites. */
  readonly #recent: PostingFields[] = [];
  #oldest = 0;

  /** Open in-flight holds and memos, folded beside the balances (they move none). */
  readonly inFlight: InFlightBook | undefined;

  constructor(capacity: number, inFlight?: InFlightBook) {
    this.capacity = capacity;
    this.inFlight = inFlight;
  }

  setAccount(id: string, debitLimit: bigint | undefined, creditLimit: bigint | undefined): void {
    const account = this.accounts.get(id);
    if (account === undefined) this.accounts.set(id, new LoadedAccount(debitLimit, creditLimit));
    else {
      account.debitLimit = debitLimit;
      account.creditLimit = creditLimit;
    }
  }

  /** Sets an account's posted counters (a snapshot's account). */
  setPosted(id: string, debitsPosted: bigint, creditsPosted: bigint): void {
    const account = this.accounts.get(id)!;
    account.debitsPosted = debitsPosted;
    account.creditsPosted = creditsPosted;
  }

  /** Adds to the idempotency window only (a snapshot's recent list: already in the counters). */
  remember(p: PostingFields): void {
    if (this.#recent.length < this.capacity) {
      this.#recent.push(p);
      return;
    }
    this.#recent[this.#oldest] = p;
    this.#oldest = this.#oldest + 1 === this.capacity ? 0 : this.#oldest + 1;
  }

  /** Replay: applies a record read back, or says why it cannot have been written by this ledger. */
  apply(record: JournalRecord): string | undefined {
    this.inFlight?.apply(record);
    if (
      record.type === RECORD_TYPE.inFlight ||
      record.type === RECORD_TYPE.settled ||
      record.type === RECORD_TYPE.memo
    ) {
      return undefined;
    }
    if (record.type === RECORD_TYPE.account) {
      const refused = checkAccount(record.id, record.debitLimit, record.creditLimit);
      if (refused === undefined) this.setAccount(record.id, record.debitLimit, record.creditLimit);
      return refused;
    }
    const refused = this.checkPosting(record);
    if (refused !== undefined) return refused;
    this.accounts.get(record.debitAccount)!.debitsPosted += record.amount;
    this.accounts.get(record.creditAccount)!.creditsPosted += record.amount;
    this.remember(record);
    return undefined;
  }

  /** The checks the memory ledger made before accepting the posting, except limits and ids in use. */
  checkPosting(p: PostingRecord): string | undefined {
    // A transfer's timeoutMs is 0 (the codec writes none); a posted hold's must be valid.
    const error =
      checkTransferId(p.id) ?? (p.type === RECORD_TYPE.posted ? checkTimeoutMs(p.timeoutMs) : undefined);
    if (error !== undefined) return error.message;
    if (p.amount <= 0n || p.amount > U128_MAX) return `transfer ${p.id}: amount ${p.amount} out of range`;
    if (p.debitAccount === p.creditAccount) return `transfer ${p.id}: debit and credit account are the same`;
    for (const name of [p.debitAccount, p.creditAccount]) {
      if (!this.accounts.has(name)) return `transfer ${p.id}: account ${JSON.stringify(name)} does not exist`;
    }
    return undefined;
  }

  /**
   * The state for the memory ledger: the remembered postings (the latest of each id: an id can
   * recur once the memory ledger forgot it) and the accounts. Says why when it is inconsistent:
   * an account that posted less than its remembered postings, or debits that differ from credits.
   */
  plan(): PostedLedgerState | string {
    const seen = new Set<bigint>();
    const recent: PostedTransfer[] = [];
    const ring = [...this.#recent.slice(this.#oldest), ...this.#recent.slice(0, this.#oldest)];
    for (let i = ring.length - 1; i >= 0; i--) {
      const p = ring[i]!;
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      recent.push(p);
    }
    recent.reverse();
    const older = new Map<string, { debits: bigint; credits: bigint }>();
    for (const [id, a] of this.accounts) older.set(id, { debits: a.debitsPosted, credits: a.creditsPosted });
    for (const p of recent) {
      const debit = older.get(p.debitAccount);
      const credit = older.get(p.creditAccount);
      if (debit === undefined || credit === undefined) return `transfer ${p.id} names an unknown account`;
      debit.debits -= p.amount;
      credit.credits -= p.amount;
    }
    let debits = 0n;
    let credits = 0n;
    for (const [id, o] of older) {
      if (o.debits < 0n || o.credits < 0n)
        return `account ${JSON.stringify(id)} posted less than its recent transfers`;
      debits += o.debits;
      credits += o.credits;
    }
    if (debits !== credits) return `posted debits (${debits}) differ from posted credits (${credits})`;
    const accounts: PostedAccount[] = [];
    for (const [id, a] of this.accounts) {
      const { debitLimit, creditLimit, debitsPosted, creditsPosted } = a;
      accounts.push({ id, debitLimit, creditLimit, debitsPosted, creditsPosted });
    }
    return { accounts, recent };
  }
}

/** The memory ledger's checks on createAccount, as a reason or undefined. */
export function checkAccount(
  id: string,
  debitLimit: bigint | undefined,
  creditLimit: bigint | undefined,
): string | undefined {
  const options = {
    ...(debitLimit === undefined ? {} : { debitLimit }),
    ...(creditLimit === undefined ? {} : { creditLimit }),
  };
  return (checkAccountId(id) ?? checkAccountOptions(options))?.message;
}

/**
 * An earlier version booked opening balances against a hidden account of this name; it stays
 * reserved so that the name never means two things.
 */
const RESERVED_ACCOUNT_ID = '\u0000opening-balances';

/** The reserved id, or one the journal could not store: UTF-8 cannot carry a lone surrogate. */
export function checkNewAccountId(id: string): ConnectorError | undefined {
  if (id !== RESERVED_ACCOUNT_ID && !/\p{Cs}/u.test(id)) return undefined;
  const shown = JSON.stringify(id);
  return new ConnectorError('ERR_INVALID_ARGUMENT', `account id ${shown} is reserved or not well-formed`);
}
