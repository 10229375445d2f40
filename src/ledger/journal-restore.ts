/**
 * Rebuilds the memory ledger from the durable state through its public methods only:
 * 1. every account, without limits (limits were checked when each posting was accepted, and are
 *    never re-checked);
 * 2. opening balances: what the accounts posted before the remembered postings, booked against a
 *    hidden `OPENING_BALANCES` account (as an "opening balance equity" account in bookkeeping),
 *    with ids counted down from 2^128 - 2 so they never meet the core's ids;
 * 3. the remembered postings, replayed in order, so a retry of their ids answers `exists`;
 * 4. the limits.
 * The caller freezes the memory ledger's clock, so a replayed hold cannot expire before its post.
 */
import { ConnectorError } from '../utils/errors.js';
import { type PostingRecord, RECORD_TYPE } from './journal-codec.js';
import type { PostedState } from './journal-state.js';
import { TRANSFER_RESULT, type Transfer, U128_MAX } from './ledger.js';
import type { MemoryLedger } from './memory-ledger.js';

/** Hidden from listAccounts/hasAccount/getBalance; refused as an account id by the journal backend. */
export const OPENING_BALANCES = '\u0000opening-balances';

export function isOpening(t: Transfer): boolean {
  return t.debitAccount === OPENING_BALANCES || t.creditAccount === OPENING_BALANCES;
}

/** The reserved id, or one the journal could not store: UTF-8 cannot carry a lone surrogate. */
export function checkNewAccountId(id: string): ConnectorError | undefined {
  if (id !== OPENING_BALANCES && !/\p{Cs}/u.test(id)) return undefined;
  const shown = JSON.stringify(id);
  return new ConnectorError('ERR_INVALID_ARGUMENT', `account id ${shown} is reserved or not well-formed`);
}

/** Returns whether the opening-balances account was needed. */
export async function restoreLedger(inner: MemoryLedger, state: PostedState): Promise<boolean> {
  const plan = state.plan();
  if (typeof plan === 'string')
    throw new ConnectorError('ERR_LEDGER', `journal ledger state is inconsistent: ${plan}`);
  for (const id of state.accounts.keys()) await inner.createAccount(id);
  const needsOpening = [...plan.opening.values()].some((o) => o.debits > 0n || o.credits > 0n);
  if (needsOpening) {
    await inner.createAccount(OPENING_BALANCES);
    let nextId = U128_MAX - 1n;
    const book = async (debitAccount: string, creditAccount: string, total: bigint) => {
      // Posted counters are unbounded; one transfer carries at most 2^128 - 1.
      for (let left = total; left > 0n; ) {
        while (plan.ids.has(nextId)) nextId--;
        // Math.min takes no bigints.
        // biome-ignore lint/complexity/useMathMinMax: bigint operands
        const amount = left > U128_MAX ? U128_MAX : left;
        expectOk(await inner.transfer({ id: nextId--, debitAccount, creditAccount, amount }), 'opening');
        left -= amount;
      }
    };
    for (const [id, o] of plan.opening) {
      await book(id, OPENING_BALANCES, o.debits);
      await book(OPENING_BALANCES, id, o.credits);
    }
  }
  for (const p of plan.replay) expectOk(await replay(inner, p), `transfer ${p.id}`);
  for (const [id, a] of state.accounts) {
    const limits = {
      ...(a.debitLimit === undefined ? {} : { debitLimit: a.debitLimit }),
      ...(a.creditLimit === undefined ? {} : { creditLimit: a.creditLimit }),
    };
    await inner.setLimits(id, limits);
  }
  return needsOpening;
}

async function replay(inner: MemoryLedger, p: PostingRecord) {
  const t = { id: p.id, debitAccount: p.debitAccount, creditAccount: p.creditAccount, amount: p.amount };
  if (p.type === RECORD_TYPE.transfer) return inner.transfer(t);
  const held = await inner.hold({ ...t, timeoutMs: p.timeoutMs });
  return held === TRANSFER_RESULT.ok ? inner.post(p.id) : held;
}

function expectOk(result: string, what: string): void {
  if (result !== TRANSFER_RESULT.ok) {
    throw new ConnectorError('ERR_LEDGER', `journal ledger restore: ${what} answered ${result}, expected ok`);
  }
}
