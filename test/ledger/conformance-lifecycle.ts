/** Conformance: hold timeouts (lazy expiry and voidExpired) and open/close. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Ledger, TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import {
  assertBalance,
  type ConformanceOptions,
  createAccounts,
  type Fixture,
  isLedgerError,
  type LedgerFactory,
  ledgerIt,
} from './fixture.js';

function hold(f: Fixture, n: number, amount: bigint, timeoutMs: number) {
  const t = {
    id: f.tid(n),
    debitAccount: f.acct('peer:p'),
    creditAccount: f.acct('peer:n'),
    amount,
    timeoutMs,
  };
  return f.ledger.hold(t);
}

/** Only called from tests that need the clock, which are skipped without one. */
function advance(f: Fixture, ms: number): void {
  f.clock!.advance(ms);
}

export function registerExpiryTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const timed = ledgerIt(make, opts, true);
  describe('hold timeouts', () => {
    timed('a hold posts until its timeout; from then on post and void answer pending_expired', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      await hold(f, 1, 10n, 1000);
      await hold(f, 2, 20n, 1000);
      advance(f, 999);
      assert.equal(await f.ledger.post(f.tid(1)), R.ok);
      advance(f, 1);
      assert.equal(await f.ledger.post(f.tid(2)), R.pendingExpired);
      await assertBalance(f, 'peer:p', { debitsPosted: 10n });
      await assertBalance(f, 'peer:n', { creditsPosted: 10n });
      assert.equal(await f.ledger.post(f.tid(2)), R.pendingExpired);
      assert.equal(await f.ledger.void(f.tid(2)), R.pendingExpired);
      assert.equal(await f.ledger.voidExpired(), 0, 'already voided');
    });

    timed('void after the timeout answers pending_expired and releases the hold', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      await hold(f, 1, 10n, 500);
      advance(f, 500);
      assert.equal(await f.ledger.void(f.tid(1)), R.pendingExpired);
      await assertBalance(f, 'peer:p', {});
    });

    timed('an expired hold frees its limit and still answers exists on retry', async (f) => {
      await f.ledger.createAccount(f.acct('peer:p'), { debitLimit: 10n });
      await createAccounts(f, 'peer:n');
      await hold(f, 1, 10n, 1000);
      advance(f, 1000);
      await f.ledger.voidExpired();
      assert.equal(await hold(f, 1, 10n, 1000), R.exists);
      assert.equal(await hold(f, 2, 10n, 1000), R.ok);
    });
  });
}

export function registerVoidExpiredTests(make: LedgerFactory, opts: ConformanceOptions): void {
  const test = ledgerIt(make, opts);
  const timed = ledgerIt(make, opts, true);
  describe('voidExpired', () => {
    timed('voids exactly the expired holds and counts them', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      await hold(f, 1, 1n, 1000);
      await hold(f, 2, 2n, 5000);
      await hold(f, 3, 4n, 1000);
      await f.ledger.post(f.tid(3));
      advance(f, 1000);
      assert.equal(await f.ledger.voidExpired(), 1);
      assert.equal(await f.ledger.voidExpired(), 0);
      await assertBalance(f, 'peer:p', { debitsPending: 2n, debitsPosted: 4n });
      assert.equal(await f.ledger.post(f.tid(1)), R.pendingExpired);
      assert.equal(await f.ledger.voidExpired(f.clock!.now() + 4000), 1, 'an explicit clock reading');
      await assertBalance(f, 'peer:n', { creditsPosted: 4n });
    });

    test('leaves holds that have not timed out', async (f) => {
      await createAccounts(f, 'peer:p', 'peer:n');
      await hold(f, 1, 1n, 3_600_000);
      assert.equal(await f.ledger.voidExpired(), 0);
      assert.equal(await f.ledger.post(f.tid(1)), R.ok);
    });
  });
}

export function registerLifecycleTests(make: LedgerFactory): void {
  const notOpen = isLedgerError('ERR_LEDGER');
  const t = { id: 1n, debitAccount: 'peer:a', creditAccount: 'peer:b', amount: 1n };

  async function assertUnusable(ledger: Ledger): Promise<void> {
    await assert.rejects(ledger.createAccount('peer:a'), notOpen);
    await assert.rejects(ledger.setLimits('peer:a', {}), notOpen);
    assert.throws(() => ledger.hasAccount('peer:a'), notOpen);
    await assert.rejects(ledger.hold({ ...t, timeoutMs: 1000 }), notOpen);
    await assert.rejects(ledger.post(1n), notOpen);
    await assert.rejects(ledger.void(1n), notOpen);
    await assert.rejects(ledger.transfer(t), notOpen);
    await assert.rejects(ledger.getBalance('peer:a'), notOpen);
    await assert.rejects(ledger.listAccounts(), notOpen);
    await assert.rejects(ledger.voidExpired(), notOpen);
  }

  describe('lifecycle', () => {
    it('every call before open rejects with ERR_LEDGER', async () => {
      const ledger = await make();
      await assertUnusable(ledger);
      await ledger.close();
    });

    it('after close every call rejects with ERR_LEDGER; close is idempotent; no reopening', async () => {
      const ledger = await make();
      await ledger.open();
      await ledger.open();
      await ledger.close();
      await ledger.close();
      await assertUnusable(ledger);
      await assert.rejects(ledger.open(), notOpen);
    });
  });
}
