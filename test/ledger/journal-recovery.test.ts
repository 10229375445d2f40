/** The journal backend across restarts: clean close, "crash" copies of its files, compaction. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import {
  balances,
  crashCopy,
  createAccounts,
  hold,
  journalFiles,
  openJournal,
  postedOnly,
  recordsEnd,
  tempDir,
  transfer,
} from './journal-helpers.js';

const ZERO = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };

describe('JournalLedger recovery', () => {
  for (const durability of ['fsync', 'write', 'snapshot'] as const) {
    it(`${durability}: close and reopen keeps accounts, limits and posted balances`, async () => {
      const dir = await tempDir();
      const first = await openJournal(dir, { durability });
      await createAccounts(first);
      await first.setLimits('peer:b', { creditLimit: 50n });
      for (const id of [1n, 2n, 3n]) assert.equal(first.holdNow(hold(id, 10n)), R.ok);
      assert.equal(await first.post(1n), R.ok);
      assert.equal(await first.post(2n), R.ok);
      assert.equal(await first.transfer(transfer(4n, 5n)), R.ok);
      const before = await balances(first);
      await first.close();

      const second = await openJournal(dir, { durability });
      const after = await balances(second);
      assert.deepEqual(after, postedOnly(before));
      assert.deepEqual(await second.getBalance('peer:b'), { ...ZERO, debitsPosted: 5n, creditsPosted: 20n });
      assert.equal(second.holdNow(hold(5n, 36n)), R.exceedsCreditLimit, 'the credit limit survived');
      assert.equal(second.holdNow(hold(6n, 35n)), R.ok);
      await second.close();
    });
  }

  for (const durability of ['fsync', 'write'] as const) {
    it(`${durability}: files as a crash leaves them hold every durable posting, and no hold`, async () => {
      const dir = await tempDir();
      const ledger = await openJournal(dir, { durability });
      await createAccounts(ledger);
      const posts: Promise<unknown>[] = [];
      for (let id = 1n; id <= 200n; id++) {
        assert.equal(ledger.holdNow(hold(id, id)), R.ok);
        if (id % 4n !== 0n) posts.push(Promise.resolve(ledger.postNow(id)));
      }
      posts.push(ledger.transfer(transfer(1000n, 7n)));
      await Promise.all(posts);
      const crashed = await openJournal(await crashCopy(dir), { durability });
      const live = await balances(ledger);
      assert.ok(live['peer:a']!.debitsPending > 0n);
      assert.deepEqual(await balances(crashed), postedOnly(live));
      assert.equal(await crashed.post(4n), R.pendingNotFound, 'a pending hold is voided by the crash');
      assert.equal(await crashed.void(8n), R.pendingNotFound);
      await crashed.close();
      await ledger.close();
    });
  }

  it('transfer ids stay idempotent across a restart, from the snapshot and from the journal', async () => {
    const dir = await tempDir();
    const first = await openJournal(dir);
    await createAccounts(first);
    assert.equal(first.holdNow(hold(1n, 10n)), R.ok);
    assert.equal(await first.post(1n), R.ok);
    assert.equal(await first.transfer(transfer(2n, 3n)), R.ok);
    await first.close(); // 1 and 2 are now in the snapshot
    const second = await openJournal(dir);
    assert.equal(second.holdNow(hold(3n, 10n)), R.ok);
    assert.equal(await second.post(3n), R.ok);
    assert.equal(await second.transfer(transfer(4n, 3n)), R.ok);
    // 3 and 4 are only in the journal
    const third = await openJournal(await crashCopy(dir));
    for (const ledger of [second, third]) {
      for (const id of [1n, 3n]) {
        assert.equal(await ledger.hold(hold(id, 10n)), R.exists);
        assert.equal(await ledger.hold(hold(id, 11n)), R.idMismatch);
        assert.equal(await ledger.hold({ ...hold(id, 10n), timeoutMs: 1 }), R.idMismatch);
        assert.equal(await ledger.transfer({ ...hold(id, 10n) }), R.idMismatch);
        assert.equal(await ledger.post(id), R.pendingAlreadyPosted);
      }
      for (const id of [2n, 4n]) {
        assert.equal(await ledger.transfer(transfer(id, 3n)), R.exists);
        assert.equal(await ledger.transfer(transfer(id, 4n)), R.idMismatch);
        assert.equal(await ledger.post(id), R.pendingNotFound);
      }
      assert.deepEqual(await ledger.getBalance('peer:b'), { ...ZERO, creditsPosted: 20n, debitsPosted: 6n });
    }
    await third.close();
    await second.close();
  });

  it('keeps balances older than the idempotency window, with no hidden account', async () => {
    const dir = await tempDir();
    const options = { maxRememberedTransfers: 2 };
    const first = await openJournal(dir, options);
    await createAccounts(first);
    for (let id = 1n; id <= 5n; id++) assert.equal(await first.transfer(transfer(id, id)), R.ok);
    await first.close();
    const second = await openJournal(dir, options);
    assert.deepEqual((await second.listAccounts()).sort(), ['own:settlement', 'peer:a', 'peer:b']);
    assert.equal(second.hasAccount('\u0000opening-balances'), false);
    assert.equal(await second.getBalance('\u0000opening-balances'), undefined);
    assert.deepEqual(await second.getBalance('own:settlement'), { ...ZERO, creditsPosted: 15n });
    assert.equal(await second.transfer(transfer(5n, 5n)), R.exists, 'inside the window');
    assert.equal(await second.transfer(transfer(1n, 9n)), R.ok, 'outside: forgotten, as in memory');
    const toOpening = { ...transfer(9n), creditAccount: '\u0000opening-balances' };
    assert.equal(await second.transfer(toOpening), R.accountNotFound);
    await second.close();
    const third = await openJournal(dir, options);
    assert.deepEqual(await third.getBalance('peer:b'), { ...ZERO, debitsPosted: 24n });
    await third.close();
  });

  it('compacts: a snapshot replaces the journal generations it covers, state unchanged', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir, { snapshotIntervalMs: 20 });
    await createAccounts(ledger);
    for (let id = 1n; id <= 50n; id++) {
      ledger.holdNow(hold(id));
      await ledger.postNow(id);
    }
    // Once idle, the last snapshot covers everything: one empty generation (its header) remains.
    const emptyGeneration = async () => {
      const files = await journalFiles(dir);
      const end = files.length === 1 ? await recordsEnd(join(dir, files[0]!)).catch(() => 0) : 0;
      return end === 8;
    };
    await waitFor(emptyGeneration);
    assert.ok(!(await journalFiles(dir)).includes('ledger-snapshot.json.journal-1'), 'generation 1 is gone');
    for (let id = 51n; id <= 60n; id++) assert.equal(await ledger.transfer(transfer(id)), R.ok);
    const before = await balances(ledger);
    await ledger.close();
    assert.deepEqual(await readdir(dir), ['ledger-snapshot.json'], 'a clean close leaves the snapshot only');
    const reopened = await openJournal(dir);
    assert.deepEqual(await balances(reopened), postedOnly(before));
    await reopened.close();
  });

  it('keeps every posting made while snapshots switch generations under load', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir, { snapshotIntervalMs: 5, maxBatchBytes: 4096 });
    await createAccounts(ledger);
    const workers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < 100; i++) {
        const id = BigInt(w * 1000 + i + 1);
        assert.equal(ledger.holdNow(hold(id)), R.ok);
        assert.equal(await ledger.postNow(id), R.ok);
      }
    });
    await Promise.all(workers);
    await waitFor(() => compacted(dir)); // a copy is only consistent between snapshots
    const copy = await openJournal(await crashCopy(dir));
    assert.deepEqual(await copy.getBalance('peer:a'), { ...ZERO, debitsPosted: 1600n });
    await copy.close();
    await ledger.close();
  });
});

/** Once idle, the last snapshot covers everything: one empty generation (its header) remains. */
async function compacted(dir: string): Promise<boolean> {
  const files = await journalFiles(dir);
  if (files.length !== 1) return false;
  return (await recordsEnd(join(dir, files[0]!)).catch(() => 0)) === 8;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
