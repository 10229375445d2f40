/** The journal backend's recovery rules: torn tails are cut, any other damage stops startup. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, readdir, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { JournalLedger, TRANSFER_RESULT as R } from '../../src/ledger/index.js';
import { encodeRecord, MAX_FRAME_BYTES, RECORD_TYPE } from '../../src/ledger/journal/codec.js';
import { discardStaleLock, nextPreallocation } from '../../src/ledger/journal/files.js';
import { ConnectorError } from '../../src/utils/errors.js';
import {
  catchingLogger,
  crashCopy,
  createAccounts,
  hold,
  journalFiles,
  openJournal,
  recordsEnd,
  snapshotIn,
  TEST_PREALLOCATE_BYTES,
  tempDir,
} from './journal-helpers.js';

const GENERATION = 'ledger-snapshot.json.journal-1';
/** Frame of one posted hold of `hold(id)`: 8 + 1 + 16 + 16 + 8 + 2 + 6 + 2 + 6. */
const POSTED_FRAME_BYTES = 65;

/**
 * A crash copy of a ledger that made 10 postings of 1, each in its own batch. Returns its dir.
 * Without preallocation (the default here) the generation file ends with its last record, as
 * journals written before preallocation do.
 */
async function tenPostings(preallocateBytes = 0): Promise<string> {
  const dir = await tempDir();
  const ledger = await openJournal(dir, { preallocateBytes });
  await createAccounts(ledger);
  for (let id = 1n; id <= 10n; id++) {
    ledger.holdNow(hold(id));
    assert.equal(await ledger.postNow(id), R.ok);
  }
  const copy = await crashCopy(dir);
  await ledger.close();
  return copy;
}

function corruptAt(file: string, offset?: number, why?: RegExp) {
  return (e: unknown) => {
    if (why !== undefined) assert.match(String(e), why);
    assert.ok(e instanceof ConnectorError && e.code === 'ERR_LEDGER', String(e));
    const match = /^ledger journal (.+) is corrupt at byte (\d+): /.exec(e.message);
    assert.ok(match !== null, e.message);
    assert.equal(match[1], file);
    if (offset !== undefined) assert.equal(Number(match[2]), offset, e.message);
    return true;
  };
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset]! ^= 0x40;
  await writeFile(path, bytes);
}

describe('JournalLedger journal recovery rules', () => {
  const torn: [string, (file: string, size: number) => Promise<void>][] = [
    ['cut inside the last record', (file, size) => truncate(file, size - 5)],
    ['cut inside the last frame header', (file, size) => truncate(file, size - POSTED_FRAME_BYTES + 3)],
    ['a checksum mismatch on the last record', (file, size) => flipByte(file, size - 2)],
  ];
  for (const [what, damage] of torn) {
    it(`a torn last record (${what}) is cut off with a warning; earlier records survive`, async () => {
      const dir = await tenPostings();
      const file = join(dir, GENERATION);
      const { size } = await stat(file);
      await damage(file, size);
      const { logger, lines } = catchingLogger();
      const ledger = await openJournal(dir, { logger });
      assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 9n);
      const offset = size - POSTED_FRAME_BYTES;
      assert.equal((await stat(file)).size, offset, 'truncated there');
      await ledger.close();
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, 40);
      assert.equal(lines[0]!.file, file);
      assert.equal(lines[0]!.offset, offset);
    });
  }

  it('a zero-filled tail (a crash while extending) is a clean end: no warning, nothing lost', async () => {
    const dir = await tenPostings();
    await appendFile(join(dir, GENERATION), Buffer.alloc(100));
    const { logger, lines } = catchingLogger();
    const ledger = await openJournal(dir, { logger });
    assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 10n);
    await ledger.close();
    assert.equal(lines.length, 0);
  });

  it('a flipped byte mid-file refuses to start, naming the file and the byte offset', async () => {
    const dir = await tenPostings();
    const file = join(dir, GENERATION);
    const { size } = await stat(file);
    const fourthFromEnd = size - 4 * POSTED_FRAME_BYTES;
    await flipByte(file, fourthFromEnd + 30);
    await assert.rejects(openJournal(dir), corruptAt(file, fourthFromEnd));
  });

  it('a length out of range mid-file refuses to start', async () => {
    const dir = await tenPostings();
    const file = join(dir, GENERATION);
    await flipByte(file, 8); // the first record's length: 0x40 << 24
    await assert.rejects(openJournal(dir), corruptAt(file, 8));
  });

  it('a record that does not apply refuses to start, even as the last record', async () => {
    const unknownAccount = {
      type: RECORD_TYPE.transfer,
      id: 99n,
      debitAccount: 'peer:nobody',
      creditAccount: 'peer:b',
      amount: 1n,
      timeoutMs: 0,
    } as const;
    const buf = Buffer.alloc(MAX_FRAME_BYTES);
    const frame = buf.subarray(0, encodeRecord(buf, 0, unknownAccount));
    const dir = await tenPostings();
    const file = join(dir, GENERATION);
    const { size } = await stat(file);
    await appendFile(file, frame);
    await assert.rejects(openJournal(dir), corruptAt(file, size, /does not exist/));
  });

  it('a record of unknown type with a good checksum refuses to start, even as the last record', async () => {
    const payload = Buffer.from([9, 1, 2, 3]);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(crc32(payload), 4);
    const dir = await tenPostings();
    const file = join(dir, GENERATION);
    const { size } = await stat(file);
    await appendFile(file, Buffer.concat([header, payload]));
    await assert.rejects(openJournal(dir), corruptAt(file, size, /unknown record type 9/));
  });

  it('a file that is not a journal refuses to start', async () => {
    const dir = await tenPostings();
    const file = join(dir, GENERATION);
    await flipByte(file, 0);
    await assert.rejects(openJournal(dir), corruptAt(file, 0));
  });

  it('a missing generation refuses to start', async () => {
    const dir = await tenPostings();
    await rename(join(dir, GENERATION), join(dir, 'ledger-snapshot.json.journal-2'));
    await assert.rejects(openJournal(dir), (e: unknown) => {
      assert.ok(e instanceof ConnectorError && e.code === 'ERR_LEDGER');
      assert.match(e.message, /ledger-snapshot\.json\.journal-1 is missing/);
      return true;
    });
  });
});

describe('JournalLedger preallocated journal files', () => {
  /** Zeros `n` bytes of `path` at `offset`. */
  async function zero(path: string, offset: number, n: number): Promise<void> {
    const bytes = await readFile(path);
    bytes.fill(0, offset, offset + n);
    await writeFile(path, bytes);
  }

  async function preallocated(): Promise<{ dir: string; file: string; end: number }> {
    const dir = await tenPostings(TEST_PREALLOCATE_BYTES);
    const file = join(dir, GENERATION);
    assert.equal((await stat(file)).size, TEST_PREALLOCATE_BYTES, 'zeros up to the preallocated size');
    return { dir, file, end: await recordsEnd(file) };
  }

  it('reads the records up to the end marker (zeros to the end of the file), no warning', async () => {
    const { dir, file, end } = await preallocated();
    assert.ok(end > 8 + 10 * POSTED_FRAME_BYTES && end < TEST_PREALLOCATE_BYTES, `records end at ${end}`);
    const { logger, lines } = catchingLogger();
    const ledger = await openJournal(dir, { logger });
    assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 10n);
    assert.equal((await stat(file)).size, TEST_PREALLOCATE_BYTES, 'the file is not touched');
    await ledger.close();
    assert.equal(lines.length, 0);
  });

  const torn: [string, (file: string, end: number) => Promise<void>][] = [
    ['its last bytes never written', (file, end) => zero(file, end - 5, 5)],
    [
      'its payload never written',
      (file, end) => zero(file, end - POSTED_FRAME_BYTES + 8, POSTED_FRAME_BYTES - 8),
    ],
    ['a checksum mismatch', (file, end) => flipByte(file, end - 2)],
  ];
  for (const [what, damage] of torn) {
    it(`a torn last record (${what}) followed by zeros is ignored with a warning, file kept`, async () => {
      const { dir, file, end } = await preallocated();
      await damage(file, end);
      const { logger, lines } = catchingLogger();
      const ledger = await openJournal(dir, { logger });
      assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 9n);
      assert.equal((await stat(file)).size, TEST_PREALLOCATE_BYTES, 'not truncated');
      await ledger.close();
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, 40);
      assert.equal(lines[0]!.file, file);
      assert.equal(lines[0]!.offset, end - POSTED_FRAME_BYTES);
    });
  }

  it('a last record whose header is cut (zeros from its third byte) reads as the end marker', async () => {
    const { dir, file, end } = await preallocated();
    await zero(file, end - POSTED_FRAME_BYTES + 3, POSTED_FRAME_BYTES - 3);
    const { logger, lines } = catchingLogger();
    const ledger = await openJournal(dir, { logger });
    assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 9n);
    await ledger.close();
    assert.equal(lines.length, 0);
  });

  it('a last record whose length runs past the end of the file is torn (the file ends inside it)', async () => {
    const { dir, file, end } = await preallocated();
    const last = end - POSTED_FRAME_BYTES;
    const bytes = await readFile(file);
    bytes.writeUInt32BE(1000, last);
    await writeFile(file, bytes.subarray(0, end + 100));
    const { logger, lines } = catchingLogger();
    const ledger = await openJournal(dir, { logger });
    assert.equal((await ledger.getBalance('peer:a'))?.debitsPosted, 9n);
    await ledger.close();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.offset, last);
  });

  it('a non-zero byte after the end marker refuses to start', async () => {
    const { dir, file, end } = await preallocated();
    const bytes = await readFile(file);
    bytes[end + 1000] = 1;
    await writeFile(file, bytes);
    await assert.rejects(
      openJournal(dir),
      corruptAt(file, end, new RegExp(`non-zero byte at ${end + 1000}`)),
    );
  });

  it('a torn record followed by a non-zero byte refuses to start', async () => {
    const { dir, file, end } = await preallocated();
    await flipByte(file, end - 2);
    const bytes = await readFile(file);
    bytes[TEST_PREALLOCATE_BYTES - 1] = 1;
    await writeFile(file, bytes);
    await assert.rejects(openJournal(dir), corruptAt(file, end - POSTED_FRAME_BYTES, /checksum mismatch/));
  });

  it('a generation that outgrows its preallocated size is extended with zeros, records intact', async () => {
    const dir = await tempDir();
    const ledger = await openJournal(dir, { preallocateBytes: 4096 });
    await createAccounts(ledger);
    // 200 postings of 65 bytes, mostly one per batch, some batches of 20.
    for (let id = 1n; id <= 100n; id++) {
      ledger.holdNow(hold(id));
      assert.equal(await ledger.postNow(id), R.ok);
    }
    const batch: Promise<unknown>[] = [];
    for (let id = 101n; id <= 200n; id++) {
      ledger.holdNow(hold(id));
      batch.push(Promise.resolve(ledger.postNow(id)));
      if (batch.length === 20) await Promise.all(batch.splice(0));
    }
    const copy = await crashCopy(dir);
    await ledger.close();
    const file = join(copy, GENERATION);
    const { size } = await stat(file);
    const end = await recordsEnd(file);
    assert.ok(end > 8 + 200 * POSTED_FRAME_BYTES, `records end at ${end}`);
    assert.ok(size > 4096 && size % 4096 === 0 && size >= end + 8, `size ${size}, records end at ${end}`);
    const { logger, lines } = catchingLogger();
    const reopened = await openJournal(copy, { logger });
    assert.equal((await reopened.getBalance('peer:a'))?.debitsPosted, 200n);
    await reopened.close();
    assert.equal(lines.length, 0);
  });

  it('refuses a preallocateBytes out of range', () => {
    for (const preallocateBytes of [100, 2 ** 31, 1.5]) {
      assert.throws(() => new JournalLedger({ preallocateBytes }), /preallocateBytes/);
    }
  });
});

describe('JournalLedger snapshot and lock', () => {
  async function closedLedger(): Promise<string> {
    const dir = await tempDir();
    const ledger = await openJournal(dir);
    await createAccounts(ledger);
    ledger.holdNow(hold(1n, 123n));
    await ledger.postNow(1n);
    await ledger.close();
    return dir;
  }

  const damages: [string, (text: string) => string][] = [
    ['cut short', (text) => text.slice(0, text.length - 20)],
    ['a changed digit', (text) => text.replace('"debitsPosted":"123"', '"debitsPosted":"124"')],
    ['a field of the wrong shape', (text) => text.replace('"version":2', '"version":3')],
  ];
  for (const [what, damage] of damages) {
    it(`a corrupt snapshot (${what}) refuses to start, naming the file`, async () => {
      const dir = await closedLedger();
      const file = snapshotIn(dir);
      const text = await readFile(file, 'utf8');
      const damaged = damage(text);
      assert.notEqual(damaged, text);
      await writeFile(file, damaged);
      await assert.rejects(openJournal(dir), (e: unknown) => {
        assert.ok(e instanceof ConnectorError && e.code === 'ERR_LEDGER');
        assert.ok(e.message.startsWith(`ledger snapshot ${file} is corrupt: `), e.message);
        return true;
      });
    });
  }

  it('a second open on the same path fails while the first is open', async () => {
    const dir = await tempDir();
    const first = await openJournal(dir);
    const lock = `${snapshotIn(dir)}.lock`;
    await assert.rejects(openJournal(dir), (e: unknown) => {
      assert.ok(e instanceof ConnectorError && e.code === 'ERR_LEDGER');
      assert.ok(e.message.includes(lock), e.message);
      return true;
    });
    assert.equal(first.hasAccount('peer:a'), false, 'the first is unharmed');
    await first.close();
    const again = await openJournal(dir);
    await again.close();
  });

  it('takes over a stale lock (dead pid, or our pid from a previous life), not one from another host', async () => {
    const dir = await tempDir();
    const lock = `${snapshotIn(dir)}.lock`;
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(lock, `${dead} ${hostname()}\n`);
    const ledger = await openJournal(dir);
    assert.equal(await readFile(lock, 'utf8'), `${process.pid} ${hostname()}\n`);
    await ledger.close();
    // A container restarted with the same pid: the lock names us, but this process never took it.
    await writeFile(lock, `${process.pid} ${hostname()}\n`);
    await (await openJournal(dir)).close();
    await writeFile(lock, `${dead} elsewhere.example\n`);
    await assert.rejects(openJournal(dir), /locked by process/);
  });

  it('each generation preallocates 1.5x what the last one used, 1 MiB at least, the configured size at most', () => {
    const MIB = 1 << 20;
    const max = 64 * MIB;
    assert.equal(nextPreallocation(0, max), MIB, 'at open, and after an almost idle interval');
    assert.equal(nextPreallocation(100, max), MIB);
    assert.equal(nextPreallocation(10 * MIB, max), 15 * MIB);
    assert.equal(nextPreallocation(500 * MIB, max), max);
    assert.equal(nextPreallocation(0, 64 * 1024), 64 * 1024, 'a configured size below 1 MiB wins');
    assert.equal(nextPreallocation(10 * MIB, 0), 0, 'no preallocation');
  });

  it('taking over a stale lock never deletes a live one that replaced it (two takers at once)', async () => {
    const dir = await tempDir();
    const lock = join(dir, 'x.lock');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    // The loser read the dead owner, but the winner's fresh lock is there by the time it acts.
    const winner = `${process.ppid} ${hostname()}\n`;
    await writeFile(lock, winner);
    await assert.rejects(discardStaleLock(lock, { pid: dead, host: hostname() }), /locked by process/);
    assert.equal(await readFile(lock, 'utf8'), winner, "the winner's lock is back in place");
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('.stale.')),
      [],
      'nothing left aside',
    );
    // The stale owner's own lock is discarded.
    await writeFile(lock, `${dead} ${hostname()}\n`);
    await discardStaleLock(lock, { pid: dead, host: hostname() });
    await assert.rejects(readFile(lock, 'utf8'), { code: 'ENOENT' });
  });

  it('journal files are named after the snapshot, so two ledgers can share a directory', async () => {
    const dir = await tempDir();
    const one = await openJournal(dir);
    const two = new JournalLedger({ snapshotPath: join(dir, 'other.json') });
    await two.open();
    assert.equal((await journalFiles(dir)).length, 2);
    await two.close();
    await one.close();
  });
});
