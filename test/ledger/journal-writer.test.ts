/** Group commit: order, batch bounds, back-pressure, generation switch, and failure. */
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  decodeRecord,
  encodeRecord,
  MAX_FRAME_BYTES,
  type PostingRecord,
  RECORD_TYPE,
} from '../../src/ledger/journal/codec.js';
import type { GenerationFile } from '../../src/ledger/journal/files.js';
import { JournalWriter } from '../../src/ledger/journal/writer.js';
import { ConnectorError } from '../../src/utils/errors.js';

/** A file in memory whose writes wait for `release()` when gated, and may fail. */
class FakeFile implements GenerationFile {
  readonly generation: number;
  readonly path: string;
  readonly syncsOnWrite = false;
  end = 0;
  allocated = 0;
  readonly preallocateBytes = 0;
  readonly writes: number[] = [];
  readonly syncs: number[] = [];
  bytes = Buffer.alloc(0);
  gated = false;
  failWith: Error | undefined;
  inFlight = 0;
  maxInFlight = 0;
  #gate: (() => void)[] = [];

  constructor(generation: number) {
    this.generation = generation;
    this.path = `/fake/journal-${generation}`;
  }

  get handle(): FileHandle {
    const write = async (buf: Buffer, offset: number, length: number, position: number) => {
      // Every batch names its offset: right after the previous one.
      assert.equal(position, this.bytes.length);
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      if (this.gated) await new Promise<void>((resolve) => this.#gate.push(resolve));
      this.inFlight--;
      if (this.failWith !== undefined) throw this.failWith;
      this.writes.push(length);
      this.bytes = Buffer.concat([this.bytes, buf.subarray(offset, offset + length)]);
      return { bytesWritten: length, buffer: buf };
    };
    const datasync = async () => {
      this.syncs.push(this.bytes.length);
    };
    return { write, datasync } as unknown as FileHandle;
  }

  release(): void {
    for (const resolve of this.#gate.splice(0)) resolve();
  }

  /** The posting ids in the file, in order. */
  ids(): bigint[] {
    const ids: bigint[] = [];
    for (let at = 0; at < this.bytes.length; ) {
      const length = this.bytes.readUInt32BE(at);
      const payload = this.bytes.subarray(at + 8, at + 8 + length);
      assert.equal(crc32(payload), this.bytes.readUInt32BE(at + 4));
      ids.push((decodeRecord(payload) as PostingRecord).id);
      at += 8 + length;
    }
    return ids;
  }
}

const posting = (id: number): PostingRecord => ({
  type: RECORD_TYPE.transfer,
  id: BigInt(id),
  debitAccount: 'peer:a',
  creditAccount: 'peer:b',
  amount: 1n,
  timeoutMs: 0,
});

/** Bytes of one encoded frame. */
const encodedLength = (record: PostingRecord): number =>
  encodeRecord(Buffer.alloc(MAX_FRAME_BYTES), 0, record);

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('JournalWriter', () => {
  it('writes records in order, one write at a time, batches within maxBatchBytes', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, { sync: true, maxBatchBytes: 4096 });
    const done = Array.from({ length: 1000 }, (_, i) => writer.append(posting(i + 1)));
    await Promise.all(done);
    assert.deepEqual(
      file.ids(),
      Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)),
    );
    assert.equal(file.maxInFlight, 1);
    assert.ok(Math.max(...file.writes) <= 4096);
    assert.deepEqual(file.syncs.length, file.writes.length, 'one fdatasync per write');
  });

  it('groups the records of one turn into one write; records during a flush form the next', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, { sync: true, maxBatchBytes: 1 << 20 });
    file.gated = true;
    const first = [writer.append(posting(1)), writer.append(posting(2))];
    await tick();
    const second = [writer.append(posting(3)), writer.append(posting(4)), writer.append(posting(5))];
    assert.equal(first[0], first[1], 'one promise per batch');
    file.release();
    await Promise.all(first);
    file.release();
    await Promise.all(second);
    assert.equal(file.writes.length, 2);
    assert.deepEqual(file.ids(), [1n, 2n, 3n, 4n, 5n]);
  });

  it('writes a batch early once it holds earlyWriteBytes; the rest of the turn forms the next', async () => {
    const file = new FakeFile(1);
    const recordBytes = encodedLength(posting(1));
    const early = 18;
    // Exactly `early` records: the record that reaches the threshold starts the write.
    const earlyWriteBytes = early * recordBytes;
    const writer = new JournalWriter(file, { sync: true, maxBatchBytes: 1 << 20, earlyWriteBytes });
    file.gated = true;
    const done = Array.from({ length: early - 1 }, (_, i) => writer.append(posting(i + 1)));
    assert.equal(file.inFlight, 0, 'below the threshold: waits for the end of the turn');
    done.push(writer.append(posting(early)));
    assert.equal(file.inFlight, 1, 'at the threshold: the write starts in this turn');
    for (let i = early + 1; i <= 100; i++) done.push(writer.append(posting(i)));
    assert.equal(file.inFlight, 1, 'one write at a time');
    file.release();
    await done[0];
    file.release();
    await Promise.all(done);
    assert.deepEqual(file.writes, [early * recordBytes, (100 - early) * recordBytes]);
    assert.deepEqual(
      file.ids(),
      Array.from({ length: 100 }, (_, i) => BigInt(i + 1)),
    );
    assert.equal(file.maxInFlight, 1);
  });

  it('with a small maxBatchBytes, a batch as full as it gets still goes early', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, { sync: true, maxBatchBytes: 4096 });
    file.gated = true;
    const full = Math.floor((4096 - MAX_FRAME_BYTES) / encodedLength(posting(1))) + 1;
    const done = Array.from({ length: full }, (_, i) => writer.append(posting(i + 1)));
    assert.equal(file.inFlight, 1, 'written before the turn ends');
    file.gated = false;
    file.release();
    await Promise.all(done);
    assert.equal(file.ids().length, full);
  });

  it('writes at the end of the turn, not early, after a batch of busyBatchBytes', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, {
      sync: true,
      maxBatchBytes: 1 << 20,
      earlyWriteBytes: 1024,
      busyBatchBytes: 4096,
    });
    const recordBytes = encodedLength(posting(1));
    const busy = Math.ceil(4096 / recordBytes);
    // One turn of 2 * busy records: the first early, the rest (more than busyBatchBytes) after it.
    file.gated = true;
    const first = Array.from({ length: 2 * busy }, (_, i) => writer.append(posting(i + 1)));
    assert.equal(file.inFlight, 1, 'the first batch of a writer may go early');
    file.gated = false;
    file.release();
    await Promise.all(first);
    assert.ok(file.writes.at(-1)! >= 4096);
    file.gated = true;
    const second = Array.from({ length: busy }, (_, i) => writer.append(posting(2 * busy + i + 1)));
    assert.equal(file.inFlight, 0, 'after a busy batch: no early write');
    await tick();
    assert.equal(file.inFlight, 1, 'written at the end of the turn');
    file.release();
    await Promise.all(second);
    assert.equal(file.writes.at(-1), busy * recordBytes, 'the whole turn in one write');
    // A small batch ends the busy spell: the next turn that reaches the threshold goes early again.
    const small = [writer.append(posting(3 * busy + 1))];
    await tick();
    file.release();
    await Promise.all(small);
    const fourth = Array.from({ length: busy }, (_, i) => writer.append(posting(3 * busy + i + 2)));
    assert.equal(file.inFlight, 1, 'after a small batch: early again');
    file.gated = false;
    file.release();
    await Promise.all(fourth);
    assert.deepEqual(
      file.ids(),
      Array.from({ length: 4 * busy + 1 }, (_, i) => BigInt(i + 1)),
    );
    assert.equal(file.maxInFlight, 1);
  });

  it('makes callers wait, in order, when both batches are full', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, { sync: false, maxBatchBytes: 4096 });
    file.gated = true;
    const settled: number[] = [];
    const done = Array.from({ length: 400 }, (_, i) =>
      writer.append(posting(i + 1)).then(() => settled.push(i + 1)),
    );
    for (let i = 0; i < 20 && settled.length < 400; i++) {
      await tick();
      file.release();
    }
    await Promise.all(done);
    assert.deepEqual(
      settled,
      [...settled].sort((a, b) => a - b),
      'resolved in append order',
    );
    assert.deepEqual(file.ids().length, 400);
    assert.ok(file.writes.length >= 400 / 60, `${file.writes.length} writes of <= 4096 bytes`);
  });

  it('switchTo sends later records to the new file and resolves with the old one', async () => {
    const old = new FakeFile(1);
    const next = new FakeFile(2);
    const writer = new JournalWriter(old, { sync: true, maxBatchBytes: 4096 });
    const before = [writer.append(posting(1)), writer.append(posting(2))];
    const oldDone = writer.switchTo(next);
    const after = writer.append(posting(3));
    await oldDone;
    await Promise.all([...before, after]);
    assert.deepEqual(old.ids(), [1n, 2n]);
    assert.deepEqual(next.ids(), [3n]);
    assert.equal(writer.file, next);
  });

  it('a failed write fails every waiting record and every later one, with the file named', async () => {
    const file = new FakeFile(1);
    const writer = new JournalWriter(file, { sync: true, maxBatchBytes: 4096 });
    file.gated = true;
    const done = Array.from({ length: 200 }, (_, i) => writer.append(posting(i + 1)));
    file.failWith = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    await tick();
    file.release();
    const isFailure = (e: unknown) =>
      e instanceof ConnectorError && e.code === 'ERR_LEDGER' && e.message.includes(file.path);
    for (const d of done) await assert.rejects(d, isFailure);
    await assert.rejects(writer.append(posting(999)), isFailure);
    await assert.rejects(writer.barrier(), isFailure);
    assert.ok(writer.failure !== undefined);
  });
});
