/**
 * The journal's in-flight records (reconciliation across a crash): a recorded hold, its
 * settlement, its reconciliation, and memos posted with their posting survive a crash (journal
 * replay) and a clean close (snapshot version 2); a version 1 snapshot is still read.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import type { JournalLedger } from '../../src/ledger/index.js';
import { reconciledId } from '../../src/ledger/journal/in-flight.js';
import {
  catchingLogger,
  crashCopy,
  createAccounts,
  hold,
  openJournal,
  snapshotIn,
  tempDir,
} from './journal-helpers.js';

const TAG = new Uint8Array([1, 2, 3, 4]);
const MEMO = new Uint8Array([9, 8, 7]);
const FAR = Date.now() + 3_600_000;

/** Where each ledger's files are, so that it can be reopened again. */
const dirs = new WeakMap<JournalLedger, string>();

async function reopen(dir: string, how: 'crash' | 'close', ledger: JournalLedger): Promise<JournalLedger> {
  const from = dirs.get(ledger) ?? dir;
  let at = from;
  if (how === 'crash') at = await crashCopy(from);
  await ledger.close();
  const again = await openJournal(at);
  dirs.set(again, at);
  return again;
}

for (const how of ['crash', 'close'] as const) {
  describe(`JournalLedger in-flight records across a ${how}`, () => {
    it('an open recorded hold comes back open, with its tag; its pending amount does not', async () => {
      const dir = await tempDir();
      const ledger = await openJournal(dir);
      await createAccounts(ledger);
      assert.equal(await ledger.holdInFlight(hold(1n, 50n), TAG), 'ok');
      assert.equal(await ledger.holdInFlight(hold(2n, 60n), TAG), 'ok');
      ledger.voidNow(2n);
      ledger.settleInFlight(2n);
      await ledger.post(3n).catch(() => undefined); // a barrier: the settled record is written
      const again = await reopen(dir, how, ledger);
      const open = again.openInFlight();
      assert.deepEqual(
        open.map((h) => [h.id, h.amount, h.debitAccount, h.creditAccount, [...h.tag]]),
        [[1n, 50n, 'peer:a', 'peer:b', [...TAG]]],
      );
      assert.equal((await again.getBalance('peer:a'))?.debitsPending, 0n);
      await again.close();
    });

    it('a hold voided without a settlement, or read back, has lost its outcome; one in the pipeline has not', async () => {
      const dir = await tempDir();
      const ledger = await openJournal(dir);
      await createAccounts(ledger);
      await ledger.holdInFlight(hold(11n, 10n), TAG);
      await ledger.holdInFlight(hold(12n, 20n), TAG);
      assert.equal(ledger.outcomeLost(11n), false, 'still held: its answer may come');
      ledger.voidNow(12n); // no answer (a closed link): the record stays open
      assert.equal(ledger.outcomeLost(12n), true);
      assert.equal(ledger.outcomeLost(13n), false, 'no such record');
      const again = await reopen(dir, how, ledger);
      assert.equal(again.outcomeLost(11n), true, 'read back at the restart');
      assert.equal(again.outcomeLost(12n), true);
      await again.close();
    });

    it('reconciling books the hold once, by a derived id, and closes the record', async () => {
      const dir = await tempDir();
      const ledger = await openJournal(dir);
      await createAccounts(ledger);
      await ledger.holdInFlight(hold(7n, 40n), TAG);
      const again = await reopen(dir, how, ledger);
      assert.equal(await again.reconcileInFlight(7n), 'ok');
      assert.equal(await again.reconcileInFlight(7n), 'pending_not_found');
      assert.equal((await again.getBalance('peer:a'))?.debitsPosted, 40n);
      assert.equal(again.openInFlight().length, 0);
      const third = await reopen(dir, how, again);
      assert.equal(third.openInFlight().length, 0);
      assert.equal((await third.getBalance('peer:b'))?.creditsPosted, 40n);
      assert.equal(
        await third.transfer({
          id: reconciledId(7n),
          debitAccount: 'peer:a',
          creditAccount: 'peer:b',
          amount: 40n,
        }),
        'exists',
      );
      await third.close();
    });

    it('a memo posted with its posting comes back with it; the hold record closes', async () => {
      const dir = await tempDir();
      const ledger = await openJournal(dir);
      await createAccounts(ledger);
      await ledger.holdInFlight(hold(5n, 30n), TAG);
      assert.equal(await ledger.postWithMemo(5n, FAR, MEMO), 'ok');
      assert.equal(await ledger.postWithMemo(5n, FAR, MEMO), 'pending_already_posted');
      ledger.memo(Date.now() - 1, new Uint8Array([1])); // already past: not kept
      const again = await reopen(dir, how, ledger);
      assert.deepEqual(
        again.memos(Date.now()).map((m) => [m.untilMs, [...m.data]]),
        [[FAR, [...MEMO]]],
      );
      assert.equal(again.openInFlight().length, 0);
      assert.equal((await again.getBalance('peer:a'))?.debitsPosted, 30n);
      await again.close();
    });
  });
}

describe('JournalLedger snapshot versions', () => {
  it('reads a version 1 snapshot (no in-flight records)', async () => {
    const dir = await tempDir();
    const body = JSON.stringify({
      journalGeneration: 0,
      accounts: [
        { id: 'peer:a', debitsPosted: '5', creditsPosted: '0' },
        { id: 'peer:b', debitsPosted: '0', creditsPosted: '5' },
      ],
      recent: [],
    });
    await writeFile(
      snapshotIn(dir),
      `{"format":"ilp-ledger-snapshot","version":1,"crc32":${crc32(body)},"body":${body}}\n`,
    );
    const ledger = await openJournal(dir);
    assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 5n);
    assert.equal(ledger.openInFlight().length, 0);
    await ledger.close();
    const text = await readFile(snapshotIn(dir), 'utf8');
    assert.match(text, /"version":2/);
  });
});

describe('JournalLedger hold log (in-flight records beside each generation, never synced)', () => {
  const holdLogs = async (dir: string) =>
    (await readdir(dir)).filter((name) => name.includes('.holds-')).sort();

  it('keeps holds and settlements in the hold log, postings in the journal', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir);
    await createAccounts(ledger);
    await ledger.holdInFlight(hold(21n, 5n), TAG);
    await ledger.holdInFlight(hold(22n, 6n), TAG);
    ledger.voidNow(22n);
    ledger.settleInFlight(22n);
    assert.equal(await ledger.post(21n), 'ok');
    // A retried post waits until everything appended is in its file, hold log included.
    assert.equal(await ledger.post(21n), 'pending_already_posted');
    assert.deepEqual(await holdLogs(dir), ['ledger-snapshot.json.holds-1']);
    const types = async (file: string) => {
      const bytes = await readFile(join(dir, file));
      const found: number[] = [];
      for (let at = 8; at + 8 <= bytes.length && bytes.readUInt32BE(at) > 0; at += 8 + bytes.readUInt32BE(at))
        found.push(bytes[at + 8]!);
      return found;
    };
    assert.deepEqual(await types('ledger-snapshot.json.holds-1'), [4, 4, 5]);
    assert.ok(!(await types('ledger-snapshot.json.journal-1')).includes(4));
    await ledger.close();
    // The close's snapshot covers generation 1: both of its files are gone.
    assert.deepEqual(await holdLogs(dir), []);
  });

  it('a hold log that a power loss damaged: startup goes on with the holds before the damage, and says so', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir);
    await createAccounts(ledger);
    await ledger.holdInFlight(hold(31n, 5n), TAG);
    await ledger.holdInFlight(hold(32n, 6n), TAG);
    assert.equal(await ledger.transfer({ ...hold(33n, 7n) }), 'ok');
    const copy = await crashCopy(dir);
    await ledger.close();
    const log = join(copy, 'ledger-snapshot.json.holds-1');
    const bytes = await readFile(log);
    // The second record's payload overwritten with garbage, then more bytes after it.
    const second = 8 + 8 + bytes.readUInt32BE(8);
    bytes.fill(0xa5, second + 8, second + 20);
    await writeFile(log, Buffer.concat([bytes, Buffer.alloc(64, 0x5a)]));
    const { logger, lines } = catchingLogger();
    const again = await openJournal(copy, { logger });
    assert.deepEqual(
      again.openInFlight().map((h) => h.id),
      [31n],
    );
    assert.equal((await again.getBalance('peer:a'))?.debitsPosted, 7n, 'the journal is read whole');
    assert.ok(lines.some((l) => /hold log: reading stopped/.test(String(l.msg))));
    await again.close();
  });

  it('a missing hold log (power loss before it reached the disk) reads as empty', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir);
    await createAccounts(ledger);
    await ledger.holdInFlight(hold(41n, 5n), TAG);
    assert.equal(await ledger.transfer({ ...hold(42n, 8n) }), 'ok');
    const copy = await crashCopy(dir);
    await ledger.close();
    await rm(join(copy, 'ledger-snapshot.json.holds-1'));
    const again = await openJournal(copy);
    assert.deepEqual(again.openInFlight(), []);
    assert.equal((await again.getBalance('peer:a'))?.debitsPosted, 8n);
    await again.close();
  });

  it("a hold in one generation's log is closed by a record in a later generation's journal", async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir);
    await createAccounts(ledger);
    await ledger.holdInFlight(hold(51n, 5n), TAG);
    const first = await crashCopy(dir);
    await ledger.close();
    // Reopened after the crash: generation 1 is replayed (the hold is open), appends go to 2.
    const second = await openJournal(first);
    assert.deepEqual(
      second.openInFlight().map((h) => h.id),
      [51n],
    );
    assert.equal(await second.reconcileInFlight(51n), 'ok');
    const copy = await crashCopy(first);
    await second.close();
    assert.deepEqual(await holdLogs(copy), ['ledger-snapshot.json.holds-1', 'ledger-snapshot.json.holds-2']);
    const again = await openJournal(copy);
    assert.deepEqual(again.openInFlight(), []);
    assert.equal((await again.getBalance('peer:a'))?.debitsPosted, 5n);
    await again.close();
  });
});
