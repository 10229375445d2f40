/**
 * What the journal backend makes durable: every account with its limits and posted counters, and
 * the most recent postings (single-phase transfers and posted holds) so that their ids stay
 * idempotent across a restart. It is the fold of the snapshot and the journal's records; at run
 * time it changes in the same tick as each record is appended, so a copy of it taken at a
 * generation switch matches that journal position exactly. Pending holds are not part of it:
 * a crash voids them.
 */
import { type JournalRecord, type PostingRecord, RECORD_TYPE } from './journal-codec.js';
import { type PendingTransfer, type Transfer, U128_MAX } from './ledger.js';
import { checkAccountId, checkAccountOptions, checkTimeoutMs, checkTransferId } from './validate.js';

export class PostedAccount {
  debitLimit: bigint | undefined;
  creditLimit: bigint | undefined;
  debitsPosted = 0n;
  creditsPosted = 0n;

  constructor(debitLimit: bigint | undefined, creditLimit: bigint | undefined) {
    this.debitLimit = debitLimit;
    this.creditLimit = creditLimit;
  }
}

/** A hold while pending (`expiresAtMs` set), then the posting it became; or a transfer. */
export class Posting implements PostingRecord {
  constructor(
    readonly type: typeof RECORD_TYPE.transfer | typeof RECORD_TYPE.posted,
    readonly id: bigint,
    readonly debitAccount: string,
    readonly creditAccount: string,
    readonly amount: bigint,
    readonly timeoutMs: number,
    readonly expiresAtMs: number,
  ) {}

  static ofHold(t: PendingTransfer, expiresAtMs: number): Posting {
    const { id, debitAccount, creditAccount, amount, timeoutMs } = t;
    return new Posting(RECORD_TYPE.posted, id, debitAccount, creditAccount, amount, timeoutMs, expiresAtMs);
  }

  /** A copy: the caller may reuse its object before the memory ledger has answered. */
  static ofTransfer(t: Transfer): Posting {
    const { id, debitAccount, creditAccount, amount } = t;
    return new Posting(RECORD_TYPE.transfer, id, debitAccount, creditAccount, amount, 0, 0);
  }
}

export class PostedState {
  readonly accounts = new Map<string, PostedAccount>();
  /** How many recent postings are kept: the memory ledger's idempotency window. */
  readonly capacity: number;
  /** A ring of the last `capacity` postings; `#oldest` is where the next one overwrites. */
  readonly #recent: PostingRecord[] = [];
  #oldest = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  setAccount(id: string, debitLimit: bigint | undefined, creditLimit: bigint | undefined): void {
    const account = this.accounts.get(id);
    if (account === undefined) this.accounts.set(id, new PostedAccount(debitLimit, creditLimit));
    else {
      account.debitLimit = debitLimit;
      account.creditLimit = creditLimit;
    }
  }

  /** A posting the memory ledger accepted: both accounts exist (the ledger checked). */
  post(p: PostingRecord): void {
    const debit = this.accounts.get(p.debitAccount);
    const credit = this.accounts.get(p.creditAccount);
    if (debit === undefined || credit === undefined) {
      throw new Error(`journal ledger invariant: posting ${p.id} names an account it does not hold`);
    }
    debit.debitsPosted += p.amount;
    credit.creditsPosted += p.amount;
    this.remember(p);
  }

  /** Adds to the idempotency window only (a snapshot's recent list: already in the counters). */
  remember(p: PostingRecord): void {
    if (this.#recent.length < this.capacity) {
      this.#recent.push(p);
      return;
    }
    this.#recent[this.#oldest] = p;
    this.#oldest = this.#oldest + 1 === this.capacity ? 0 : this.#oldest + 1;
  }

  /** The remembered postings, oldest first. */
  recent(): PostingRecord[] {
    return [...this.#recent.slice(this.#oldest), ...this.#recent.slice(0, this.#oldest)];
  }

  /** Replay: applies a record read back, or says why it cannot have been written by this ledger. */
  apply(record: JournalRecord): string | undefined {
    if (record.type === RECORD_TYPE.account) {
      const refused = checkAccount(record.id, record.debitLimit, record.creditLimit);
      if (refused === undefined) this.setAccount(record.id, record.debitLimit, record.creditLimit);
      return refused;
    }
    const refused = this.checkPosting(record);
    if (refused === undefined) this.post(record);
    return refused;
  }

  /** The checks the memory ledger made before accepting the posting, except limits and ids in use. */
  checkPosting(p: PostingRecord): string | undefined {
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
   * How to rebuild a memory ledger from this state: the remembered postings to replay (the latest
   * of each id: an id can recur once the memory ledger forgot it) and, per account, the posted
   * amounts not covered by them (opening balances). Says why when the state is inconsistent.
   */
  plan(): RestorePlan | string {
    const seen = new Set<bigint>();
    const replay: PostingRecord[] = [];
    const recent = this.recent();
    for (let i = recent.length - 1; i >= 0; i--) {
      const p = recent[i]!;
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      replay.push(p);
    }
    replay.reverse();
    const opening = new Map<string, { debits: bigint; credits: bigint }>();
    for (const [id, a] of this.accounts)
      opening.set(id, { debits: a.debitsPosted, credits: a.creditsPosted });
    for (const p of replay) {
      const debit = opening.get(p.debitAccount);
      const credit = opening.get(p.creditAccount);
      if (debit === undefined || credit === undefined) return `transfer ${p.id} names an unknown account`;
      debit.debits -= p.amount;
      credit.credits -= p.amount;
    }
    let debits = 0n;
    let credits = 0n;
    for (const [id, o] of opening) {
      if (o.debits < 0n || o.credits < 0n)
        return `account ${JSON.stringify(id)} posted less than its recent transfers`;
      debits += o.debits;
      credits += o.credits;
    }
    if (debits !== credits) return `posted debits (${debits}) differ from posted credits (${credits})`;
    return { replay, opening, ids: seen };
  }
}

export interface RestorePlan {
  readonly replay: readonly PostingRecord[];
  readonly opening: ReadonlyMap<string, { readonly debits: bigint; readonly credits: bigint }>;
  /** Ids of the replayed postings: opening-balance transfers must not use them. */
  readonly ids: ReadonlySet<bigint>;
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
