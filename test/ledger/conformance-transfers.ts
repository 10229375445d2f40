/** Conformance: accounts, holds, posts, voids, single-phase transfers and idempotent ids. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { TRANSFER_RESULT as R, U128_MAX } from '../../src/ledger/index.js';
import {
  assertBalance,
  type ConformanceOptions,
  createAccounts,
  type Fixture,
  type LedgerFactory,
  ledgerIt,
  ZERO,
} from './fixture.js';

const LONG_MS = 3_600_000;

function hold(f: Fixture, n: number, from: string, to: string, amount: bigint, timeoutMs = LONG_MS) {
  return f.ledger.hold({
    id: f.tid(n),
    debitAccount: f.acct(from),
    creditAccount: f.acct(to),
    amount,
    timeoutMs,
  });
}

function transfer(f: Fixture, n: number, from: string, to: string, amount: bigint) {
  return f.ledger.transfer({ id: f.tid(n), debitAccount: f.acct(from), creditAccount: f.acct(to), amount });
}

export function registerAccountTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('accounts', () => {
    test('createAccount makes an empty, listed account', async (f) => {
      await f.ledger.createAccount(f.acct('peer:a'));
      assert.equal(f.ledger.hasAccount(f.acct('peer:a')), true);
      assert.deepEqual(await f.ledger.getBalance(f.acct('peer:a')), ZERO);
      assert.ok((await f.ledger.listAccounts()).includes(f.acct('peer:a')));
    });

    test('an unknown account is absent', async (f) => {
      assert.equal(f.ledger.hasAccount(f.acct('peer:nobody')), false);
      assert.equal(await f.ledger.getBalance(f.acct('peer:nobody')), undefined);
    });

    test('createAccount again keeps balances and replaces limits', async (f) => {
      await f.ledger.createAccount(f.acct('peer:a'), { debitLimit: 10n });
      await createAccounts(f, 'peer:b');
      assert.equal(await hold(f, 1, 'peer:a', 'peer:b', 10n), R.ok);
      await f.ledger.createAccount(f.acct('peer:a'));
      await assertBalance(f, 'peer:a', { debitsPending: 10n });
      assert.equal(await hold(f, 2, 'peer:a', 'peer:b', 1000n), R.ok, 'no options: no limit');
      await f.ledger.createAccount(f.acct('peer:a'), { debitLimit: 0n });
      assert.equal(await hold(f, 3, 'peer:a', 'peer:b', 1n), R.exceedsDebitLimit);
    });
  });
}

export function registerTransferTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('two-phase and single-phase transfers', () => {
    test('hold reserves on both sides; post moves pending to posted', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 30n), R.ok);
      await assertBalance(f, 'peer:p', { debitsPending: 30n });
      await assertBalance(f, 'peer:n', { creditsPending: 30n });
      assert.equal(await f.ledger.post(f.tid(1)), R.ok);
      await assertBalance(f, 'peer:p', { debitsPosted: 30n });
      await assertBalance(f, 'peer:n', { creditsPosted: 30n });
    });

    test('void releases the hold on both sides', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 30n), R.ok);
      assert.equal(await f.ledger.void(f.tid(1)), R.ok);
      await assertBalance(f, 'peer:p', {});
      await assertBalance(f, 'peer:n', {});
    });

    test('transfer posts at once', async (f) => {
      await createAccounts(f, 'peer:n', 'own:settlement');
      assert.equal(await transfer(f, 1, 'peer:n', 'own:settlement', 7n), R.ok);
      await assertBalance(f, 'peer:n', { debitsPosted: 7n });
      await assertBalance(f, 'own:settlement', { creditsPosted: 7n });
    });
  });
}

export function registerRefusalTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('refusals', () => {
    const finished = [
      ['post', 'post', R.pendingAlreadyPosted],
      ['void', 'post', R.pendingAlreadyVoided],
      ['post', 'void', R.pendingAlreadyPosted],
      ['void', 'void', R.pendingAlreadyVoided],
    ] as const;
    for (const [first, second, expected] of finished) {
      test(`${second} after ${first} answers ${expected} and changes nothing`, async (f) => {
        await createAccounts(f, 'peer:p', 'peer:n');
        await hold(f, 1, 'peer:p', 'peer:n', 5n);
        assert.equal(await f.ledger[first](f.tid(1)), R.ok);
        const before = await f.ledger.getBalance(f.acct('peer:p'));
        assert.equal(await f.ledger[second](f.tid(1)), expected);
        assert.deepEqual(await f.ledger.getBalance(f.acct('peer:p')), before);
      });
    }

    test('post and void of an unknown or single-phase id answer pending_not_found', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      assert.equal(await f.ledger.post(f.tid(1)), R.pendingNotFound);
      assert.equal(await f.ledger.void(f.tid(1)), R.pendingNotFound);
      await transfer(f, 2, 'peer:p', 'peer:n', 5n);
      assert.equal(await f.ledger.post(f.tid(2)), R.pendingNotFound);
      assert.equal(await f.ledger.void(f.tid(2)), R.pendingNotFound);
    });

    test('bad amounts, equal accounts and unknown accounts are refused and change nothing', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      for (const amount of [0n, -1n, U128_MAX + 1n]) {
        assert.equal(await hold(f, 1, 'peer:p', 'peer:n', amount), R.invalidAmount);
        assert.equal(await transfer(f, 1, 'peer:p', 'peer:n', amount), R.invalidAmount);
      }
      assert.equal(await hold(f, 1, 'peer:p', 'peer:p', 1n), R.sameAccount);
      assert.equal(await transfer(f, 1, 'peer:p', 'peer:p', 1n), R.sameAccount);
      assert.equal(await hold(f, 1, 'peer:p', 'peer:x', 1n), R.accountNotFound);
      assert.equal(await hold(f, 1, 'peer:x', 'peer:n', 1n), R.accountNotFound);
      assert.equal(await transfer(f, 1, 'peer:x', 'peer:n', 1n), R.accountNotFound);
      await assertBalance(f, 'peer:p', {});
      await assertBalance(f, 'peer:n', {});
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', U128_MAX), R.ok, 'the id was not consumed');
      await assertBalance(f, 'peer:n', { creditsPending: U128_MAX });
    });
  });
}

export function registerIdempotencyTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  describe('idempotent ids', () => {
    test('the same id with the same fields answers exists and changes nothing', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 5n), R.ok);
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 5n), R.exists);
      await assertBalance(f, 'peer:p', { debitsPending: 5n });
      await f.ledger.post(f.tid(1));
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 5n), R.exists, 'a posted hold still exists');
      assert.equal(await transfer(f, 2, 'peer:p', 'peer:n', 3n), R.ok);
      assert.equal(await transfer(f, 2, 'peer:p', 'peer:n', 3n), R.exists);
      await assertBalance(f, 'peer:p', { debitsPosted: 8n });
    });

    test('the same id with other fields answers exists_with_different_fields', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n', 'peer:q');
      await hold(f, 1, 'peer:p', 'peer:n', 5n, 30_000);
      await transfer(f, 2, 'peer:p', 'peer:n', 5n);
      const mismatches = [
        hold(f, 1, 'peer:p', 'peer:n', 6n, 30_000),
        hold(f, 1, 'peer:q', 'peer:n', 5n, 30_000),
        hold(f, 1, 'peer:p', 'peer:q', 5n, 30_000),
        hold(f, 1, 'peer:p', 'peer:n', 5n, 30_001),
        transfer(f, 1, 'peer:p', 'peer:n', 5n),
        hold(f, 2, 'peer:p', 'peer:n', 5n, 30_000),
        transfer(f, 2, 'peer:p', 'peer:n', 4n),
      ];
      for (const result of await Promise.all(mismatches)) assert.equal(result, R.idMismatch);
      await assertBalance(f, 'peer:p', { debitsPending: 5n, debitsPosted: 5n });
    });

    test('an existing id answers exists even when the limit is used up', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 5n });
      await createAccounts(f, 'peer:n');
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 5n), R.ok);
      assert.equal(await hold(f, 1, 'peer:p', 'peer:n', 5n), R.exists);
    });
  });
}
