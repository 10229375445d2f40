/** Conformance: debit and credit limits (pending and posted both count) and argument checks. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MAX_TIMEOUT_MS, TRANSFER_RESULT as R, U128_MAX } from '../../src/ledger/index.js';
import {
  type ConformanceOptions,
  createAccounts,
  type Fixture,
  isLedgerError,
  type LedgerFactory,
  ledgerIt,
} from './fixture.js';

function hold(f: Fixture, n: number, from: string, to: string, amount: bigint) {
  const t = {
    id: f.tid(n),
    debitAccount: f.acct(from),
    creditAccount: f.acct(to),
    amount,
    timeoutMs: 60_000,
  };
  return f.ledger.hold(t);
}

function transfer(f: Fixture, n: number, from: string, to: string, amount: bigint) {
  return f.ledger.transfer({ id: f.tid(n), debitAccount: f.acct(from), creditAccount: f.acct(to), amount });
}

export function registerLimitTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('limits', () => {
    test('a debit limit counts pending and posted debits', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 100n });
      await createAccounts(f, 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 60n), R.ok);
      assert.equal(await hold(f, 2, 'peer:p', 'peer:n', 50n), R.exceedsDebitLimit);
      assert.equal(await hold(f, 3, 'peer:p', 'peer:n', 40n), R.ok, 'exactly at the limit');
      assert.equal(await f.ledger.post(f.tid(1)), R.ok);
      assert.equal(await hold(f, 4, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
      assert.equal(await transfer(f, 5, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit, 'single-phase too');
      assert.equal(await f.ledger.void(f.tid(3)), R.ok);
      assert.equal(await hold(f, 6, 'peer:p', 'peer:n', 40n), R.ok, 'a void frees room');
    });

    test('what we owe the peer (posted credits) extends its room; a limit of 0 means prefunded', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 0n });
      await createAccounts(f, 'own:settlement', 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
      assert.equal(await transfer(f, 2, 'own:settlement', 'peer:p', 10n), R.ok, 'the peer paid us 10');
      assert.equal(await hold(f, 3, 'peer:p', 'peer:n', 10n), R.ok);
      assert.equal(await hold(f, 4, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
    });

    test('pending credits do not extend the room', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 0n });
      await createAccounts(f, 'peer:n');
      assert.equal(await hold(f, 1, 'peer:n', 'peer:p', 10n), R.ok);
      assert.equal(await hold(f, 2, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
    });

    test('a credit limit counts pending and posted credits', async (f) => {
      await f.ledger.createAccount(f.acct('peer:n'), { creditLimit: 10n });
      await createAccounts(f, 'peer:p');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 6n), R.ok);
      assert.equal(await transfer(f, 2, 'peer:p', 'peer:n', 4n), R.ok);
      assert.equal(await hold(f, 3, 'peer:p', 'peer:n', 1n), R.exceedsCreditLimit);
      assert.equal(await transfer(f, 4, 'peer:n', 'peer:p', 1n), R.ok, 'posted debits extend the room');
      assert.equal(await hold(f, 5, 'peer:p', 'peer:n', 1n), R.ok);
    });

    test('the debit side is checked first', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 0n });
      await f.ledger.createAccount(f.acct('peer:n'), { creditLimit: 0n });
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
    });

    test('setLimits at runtime: new holds obey it, existing holds still post, {} removes it', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 50n), R.ok);
      await f.ledger.setLimits(f.acct('peer:p'), { debitLimit: 20n });
      assert.equal(await hold(f, 2, 'peer:p', 'peer:n', 1n), R.exceedsDebitLimit);
      assert.equal(await f.ledger.post(f.tid(1)), R.ok);
      await f.ledger.setLimits(f.acct('peer:p'), { debitLimit: 51n });
      assert.equal(await hold(f, 2, 'peer:p', 'peer:n', 1n), R.ok, 'a refused id can be retried');
      await f.ledger.setLimits(f.acct('peer:p'), {});
      assert.equal(await hold(f, 3, 'peer:p', 'peer:n', U128_MAX - 51n), R.ok);
    });
  });
}

export function registerArgumentTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('arguments no backend can store reject with ERR_INVALID_ARGUMENT', () => {
    test('account ids and limits', async (f) => {
      const invalid = isLedgerError('ERR_INVALID_ARGUMENT');
      await assert.rejects(f.ledger.createAccount(''), invalid);
      await assert.rejects(f.ledger.createAccount('x'.repeat(129)), invalid);
      await assert.rejects(f.ledger.createAccount(f.acct('peer:p'), { debitLimit: -1n }), invalid);
      await assert.rejects(f.ledger.createAccount(f.acct('peer:p'), { creditLimit: U128_MAX + 1n }), invalid);
      await assert.rejects(f.ledger.setLimits(f.acct('peer:nobody'), {}), invalid);
      assert.equal(f.ledger.hasAccount(f.acct('peer:p')), false);
    });

    test('transfer ids, timeouts and clock readings', async (f) => {
      const invalid = isLedgerError('ERR_INVALID_ARGUMENT');
      await createAccounts(f, 'peer:p', 'peer:n');
      const t = { debitAccount: f.acct('peer:p'), creditAccount: f.acct('peer:n'), amount: 1n };
      for (const id of [0n, -1n, U128_MAX]) {
        await assert.rejects(f.ledger.hold({ ...t, id, timeoutMs: 1000 }), invalid);
        await assert.rejects(f.ledger.transfer({ ...t, id }), invalid);
        await assert.rejects(f.ledger.post(id), invalid);
        await assert.rejects(f.ledger.void(id), invalid);
      }
      for (const timeoutMs of [0, -1, 1.5, Number.NaN, MAX_TIMEOUT_MS + 1]) {
        await assert.rejects(f.ledger.hold({ ...t, id: f.tid(1), timeoutMs }), invalid);
      }
      await assert.rejects(f.ledger.voidExpired(Number.NaN), invalid);
    });
  });
}
