/**
 * Replays one generation file at open. Recovery rules (../README.md, "Journal"):
 * - the records end at the end of the file, or at a frame header whose length is 0 (the end
 *   marker: a preallocated file is zeros after its last record); every byte after the end marker
 *   must be zero;
 * - a torn last record (header cut short, length running past the end of the file, a checksum
 *   mismatch on a record followed by nothing or only by zeros) is what a crash mid-write leaves:
 *   it was never acknowledged, so it is ignored with a warning. A file that ends inside it (no
 *   preallocation) is truncated there; a preallocated one is left as it is (never written again:
 *   the store opens a new generation);
 * - anything else that does not read (a bad checksum or length with a non-zero byte after it, a
 *   non-zero byte after the end marker, an unknown type, a record that does not apply) stops
 *   startup with the file and byte offset.
 * Reads in chunks, so memory stays bounded whatever the file size.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { messageOf } from '../../utils/text.js';
import {
  decodeRecord,
  FRAME_HEADER_BYTES,
  JOURNAL_MAGIC,
  type JournalRecord,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  RECORD_TYPE,
} from './codec.js';
import { isCode } from './files.js';

const CHUNK_BYTES = 1 << 20;
let zeros: Buffer | undefined;

/** Applies a decoded record; returns why it does not apply, or undefined. */
export type ApplyRecord = (record: JournalRecord) => string | undefined;

export function journalCorrupt(path: string, offset: number, why: string): ConnectorError {
  return new ConnectorError('ERR_LEDGER', `ledger journal ${path} is corrupt at byte ${offset}: ${why}`);
}

/** Replays every record of the file at `path`; returns the number of records applied. */
export async function replayGeneration(path: string, apply: ApplyRecord, logger: Logger): Promise<number> {
  const handle = await open(path, 'r+');
  try {
    const size = (await handle.stat()).size;
    const scan = new Scan(handle, path, size);
    const end = await scan.header();
    if (end !== undefined) {
      if (size > 0) await discardTail(handle, path, end, size, 'incomplete file header', logger);
      return 0;
    }
    let records = 0;
    for (;;) {
      const step = await scan.next(apply);
      if (step === 'end') return records;
      if (typeof step === 'string') {
        await discardTail(handle, path, scan.offset, scan.endsInside ? size : undefined, step, logger);
        return records;
      }
      records++;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Replays a hold log (files.ts, `createHoldLog`): in-flight and settled records only. It is never
 * synced, so after a power loss it may be missing, short, or zeros and garbage where records were:
 * whatever does not read ends it, with a warning, instead of stopping startup. The holds lost that
 * way are packets reconciliation cannot settle (docs/settlement.md); no balance depends on them.
 */
export async function replayHoldLog(path: string, apply: ApplyRecord, logger: Logger): Promise<number> {
  let records = 0;
  const onlyHolds: ApplyRecord = (record) => {
    if (record.type !== RECORD_TYPE.inFlight && record.type !== RECORD_TYPE.settled) {
      return `a record of type ${record.type} in a hold log`;
    }
    records++;
    return apply(record);
  };
  try {
    await replayGeneration(path, onlyHolds, logger);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return 0;
    logger.warn(
      { file: path, records, reason: messageOf(err) },
      'ledger hold log: reading stopped at damage (a power loss can leave it); later holds are not reconciled',
    );
  }
  return records;
}

async function discardTail(
  handle: FileHandle,
  file: string,
  offset: number,
  size: number | undefined,
  reason: string,
  logger: Logger,
): Promise<void> {
  logger.warn(
    size === undefined ? { file, offset, reason } : { file, offset, bytesDiscarded: size - offset, reason },
    'ledger journal: discarding a torn last record left by a crash',
  );
  // Followed by zeros (preallocated): left as it is, it reads the same way next time.
  if (size === undefined) return;
  await handle.truncate(offset);
  await handle.datasync();
}

/** A cursor over the file's records, holding one chunk in memory. */
class Scan {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #size: number;
  readonly #buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** File offset of `#buf[0]` and how many bytes of it are loaded. */
  #bufStart = 0;
  #bufLength = 0;
  /** File offset of the next record. */
  offset = JOURNAL_MAGIC.length;
  /** After a torn record: true when the file ends inside it (nothing follows it). */
  endsInside = true;

  constructor(handle: FileHandle, path: string, size: number) {
    this.#handle = handle;
    this.#path = path;
    this.#size = size;
  }

  /** Checks the magic. Returns the offset to truncate at when the header itself is torn. */
  async header(): Promise<number | undefined> {
    const n = Math.min(this.#size, JOURNAL_MAGIC.length);
    await this.#load(0, n);
    const head = this.#buf.subarray(0, n);
    if (n === JOURNAL_MAGIC.length && head.equals(JOURNAL_MAGIC)) return undefined;
    // Created but its header never fully reached the disk: an empty generation.
    if (n < JOURNAL_MAGIC.length && head.equals(JOURNAL_MAGIC.subarray(0, n))) return 0;
    throw journalCorrupt(this.#path, 0, 'not a ledger journal (bad magic)');
  }

  /** Applies the next record: 1, 'end' at a clean end, or why the rest is a torn tail. */
  async next(apply: ApplyRecord): Promise<1 | 'end' | string> {
    const at = this.offset;
    const rest = this.#size - at;
    if (rest === 0) return 'end';
    if (rest < FRAME_HEADER_BYTES) return 'incomplete record header';
    await this.#ensure(at, Math.min(rest, MAX_FRAME_BYTES));
    const local = at - this.#bufStart;
    const length = this.#buf.readUInt32BE(local);
    if (length === 0) {
      // The end marker: the zeros of a preallocated file, or zeros a crash left past the end.
      const nonZero = await this.#nonZeroFrom(at);
      if (nonZero === undefined) return 'end';
      throw journalCorrupt(
        this.#path,
        at,
        `non-zero byte at ${nonZero} after the end marker (record length 0)`,
      );
    }
    if (length > MAX_PAYLOAD_BYTES) {
      throw journalCorrupt(this.#path, at, `record length ${length} is out of range`);
    }
    const end = at + FRAME_HEADER_BYTES + length;
    if (end > this.#size) return 'record runs past the end of the file';
    const payload = this.#buf.subarray(local + FRAME_HEADER_BYTES, local + FRAME_HEADER_BYTES + length);
    if (crc32(payload) !== this.#buf.readUInt32BE(local + 4)) {
      if (end === this.#size) return 'checksum mismatch on the last record';
      const nonZero = await this.#nonZeroFrom(end);
      if (nonZero === undefined) {
        this.endsInside = false;
        return 'checksum mismatch on a record followed only by zeros';
      }
      throw journalCorrupt(
        this.#path,
        at,
        `checksum mismatch (${this.#size - end} bytes follow, a non-zero one at ${nonZero})`,
      );
    }
    let record: JournalRecord;
    try {
      record = decodeRecord(payload);
    } catch (err) {
      throw journalCorrupt(this.#path, at, `undecodable record: ${messageOf(err)}`);
    }
    const refused = apply(record);
    if (refused !== undefined) throw journalCorrupt(this.#path, at, refused);
    this.offset = end;
    return 1;
  }

  /** Makes [at, at + n) available in the buffer (n <= CHUNK_BYTES, within the file). */
  async #ensure(at: number, n: number): Promise<void> {
    if (at >= this.#bufStart && at + n <= this.#bufStart + this.#bufLength) return;
    await this.#load(at, Math.min(CHUNK_BYTES, this.#size - at));
  }

  async #load(at: number, n: number): Promise<void> {
    let loaded = 0;
    while (loaded < n) {
      const { bytesRead } = await this.#handle.read(this.#buf, loaded, n - loaded, at + loaded);
      if (bytesRead === 0) throw journalCorrupt(this.#path, at + loaded, 'file shrank while being read');
      loaded += bytesRead;
    }
    this.#bufStart = at;
    this.#bufLength = n;
  }

  /** The offset of the first non-zero byte from `at` to the end of the file, if any. */
  async #nonZeroFrom(at: number): Promise<number | undefined> {
    zeros ??= Buffer.alloc(CHUNK_BYTES);
    for (let from = at; from < this.#size; from += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, this.#size - from);
      await this.#load(from, n);
      // memcmp against zeros; the byte loop only runs on the chunk that is not all zero.
      if (this.#buf.subarray(0, n).equals(zeros.subarray(0, n))) continue;
      for (let i = 0; i < n; i++) if (this.#buf[i] !== 0) return from + i;
    }
    return undefined;
  }
}
