import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JOURNAL_DURABILITIES, JournalLedger, TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import { ConnectorError } from '../../src/utils/errors.js';
import { ManualClock, runLedgerConformance } from './conformance.js';
import {
  createAccounts,
  hold,
  journalFiles,
  openJournal,
  snapshotIn,
  tempDir,
  transfer,
} from './journal-helpers.js';

const root = await tempDir();
let ledgers = 0;

for (const durability of JOURNAL_DURABILITIES) {
  const clock = new ManualClock();
  // A fresh directory per ledger; the sweep runs on real time, so keep it at its slowest (as the
  // memory backend's test does) lest it race the manual clock.
  const make = () =>
    new JournalLedger({
      snapshotPath: snapshotIn(join(root, `${durability}-${++ledgers}`)),
      durability,
      now: () => clock.now(),
      sweepIntervalMs: 60_000,
    });
  runLedgerConformance(`journal (${durability})`, make, { clock, modelRuns: 100 });
}

describe('JournalLedger', () => {
  it('is named journal and refuses options out of bounds', () => {
    assert.equal(new JournalLedger({ durability: 'off' }).name, 'journal');
    const invalid = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_INVALID_ARGUMENT';
    for (const snapshotIntervalMs of [0, 1.5, 86_400_001]) {
      assert.throws(() => new JournalLedger({ snapshotIntervalMs }), invalid);
    }
    for (const maxBatchBytes of [100, 64 * 1024 * 1024 + 1]) {
      assert.throws(() => new JournalLedger({ maxBatchBytes }), invalid);
    }
    assert.throws(() => new JournalLedger({ durability: 'sometimes' as never }), invalid);
    assert.throws(() => new JournalLedger({ snapshotPath: '' }), invalid);
  });

  it("postNow answers at once unless it must wait for the disk ('fsync', 'write')", async () => {
    for (const durability of JOURNAL_DURABILITIES) {
      const ledger = await openJournal(await tempDir(), { durability });
      await createAccounts(ledger);
      assert.equal(ledger.holdNow(hold(1n)), R.ok);
      const posted = ledger.postNow(1n);
      const waits = durability === 'fsync' || durability === 'write';
      assert.equal(posted instanceof Promise, waits, durability);
      assert.equal(await posted, R.ok);
      assert.equal(ledger.postNow(2n), R.pendingNotFound, `${durability}: a refusal is synchronous`);
      assert.equal(ledger.voidNow(1n), R.pendingAlreadyPosted);
      await ledger.close();
    }
  });

  it("durability 'off' touches no file", async () => {
    const dir = join(await tempDir(), 'never');
    const ledger = await openJournal(dir, { durability: 'off' });
    await createAccounts(ledger);
    assert.equal(await ledger.transfer(transfer(1n)), R.ok);
    await ledger.close();
    await assert.rejects(readdir(dir), { code: 'ENOENT' });
  });

  it("durability 'snapshot' writes only the snapshot", async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir, { durability: 'snapshot' });
    await createAccounts(ledger);
    assert.equal(ledger.holdNow(hold(1n)), R.ok);
    assert.equal(ledger.postNow(1n), R.ok);
    assert.deepEqual(await journalFiles(dir), []);
    await ledger.close();
    assert.deepEqual(await readdir(dir), ['ledger-snapshot.json']);
  });

  it('refuses account ids it could not store faithfully', async () => {
    const ledger = await openJournal(await tempDir());
    const invalid = (e: unknown) => e instanceof ConnectorError && e.code === 'ERR_INVALID_ARGUMENT';
    await assert.rejects(ledger.createAccount('peer:\ud800'), invalid, 'a lone surrogate');
    await assert.rejects(ledger.createAccount('\u0000opening-balances'), invalid, 'reserved');
    await ledger.createAccount('peer:\u{1f600}');
    assert.equal(ledger.hasAccount('peer:\u{1f600}'), true);
    await ledger.close();
  });
});
