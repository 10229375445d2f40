/**
 * Group commit. Records are encoded straight into a batch buffer; one flush at a time writes a
 * whole batch with one `write`, and every record of the batch shares its promises. Records that
 * arrive during a flush fill the next batch.
 * Two promises per batch: `written` once the batch is in the file (the OS has it: it survives a
 * process crash, kill -9 included, but not a power loss), `done` once it is durable (with `sync`:
 * an `fdatasync` that started after the write finished; without: at once with `written`). Syncs
 * run beside the writes, one at a time, each covering every batch written before it started.
 * (Records that only need `written`, the holds of reconciliation, have a writer of their own
 * without `sync` on a file of their own: store.ts.)
 * When to write: at the end of the event-loop turn that appended the batch's first record, or
 * sooner, as soon as the batch holds `earlyWriteBytes`, while the disk is idle: the write then runs
 * while the turn goes on encoding (its later records form the next batch). Not when the previous
 * batch held `busyBatchBytes` or more: turns that large mean a saturated event loop, which notices
 * a finished write only a turn later, so a split would cost the rest of the turn a turn.
 * At most two batches exist (one being written, one filling), each at most `maxBatchBytes`;
 * beyond that a record waits, in order, until a flush frees a batch, and so does its caller's
 * promise (back-pressure).
 * Each batch is written at its file's `end` offset. In a preallocated file, once less than half a
 * preallocation of zeros is left, the next extension starts in the background (zeros beyond the
 * preallocated end, so never where records go); a batch that would leave less than a frame header
 * of zeros after it (the end marker) waits for an extension.
 * No synchronous I/O.
 */
import { ConnectorError } from '../../utils/errors.js';
import { messageOf } from '../../utils/text.js';
import { type EncodableRecord, encodeRecordWith, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './codec.js';
import { extendGeneration, type GenerationFile } from './files.js';

export interface JournalWriterOptions {
  /** fdatasync after each write: durable across power loss, not only across a process crash. */
  sync: boolean;
  maxBatchBytes: number;
  /** A batch this large is written before its turn ends when the disk is idle. Default 4 KiB. */
  earlyWriteBytes?: number;
  /** No early write after a batch of at least this many bytes. Default 16 KiB. */
  busyBatchBytes?: number;
}

interface Batch {
  readonly file: GenerationFile;
  readonly buf: Buffer;
  readonly view: DataView;
  length: number;
  writing: boolean;
  /** In the file (survives kill -9). */
  readonly written: Deferred;
  /** Durable (survives power loss with `sync`). */
  readonly done: Deferred;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

interface Waiter {
  readonly record: EncodableRecord;
  readonly file: GenerationFile;
  resolve(): void;
  reject(err: Error): void;
}

const MAX_BATCHES = 2;
/**
 * At 1 hop and 100 packets in flight a turn appends ~100 postings (~5.7 KB): writing the first 4 KiB
 * early took the durable node from 74-80% of the memory ledger's throughput to 86-110%. At 1,000 in
 * flight turns append ~40 KB; splitting every one of them gave 72-89% there against 84-92% with
 * this rule (runs alternated), so after a batch of 16 KiB the early write waits for a smaller one
 * (docs/perf.md, "Early write").
 */
const EARLY_WRITE_BYTES = 4096;
const BUSY_BATCH_BYTES = 16384;

export class JournalWriter {
  readonly #sync: boolean;
  readonly #maxBatchBytes: number;
  readonly #earlyWriteBytes: number;
  readonly #busyBatchBytes: number;
  #file: GenerationFile;
  /** Oldest first; only the head is ever being written. */
  readonly #batches: Batch[] = [];
  readonly #spareBuffers: { buf: Buffer; view: DataView }[] = [];
  /** Records waiting for room, in append order; bounded by the callers waiting on them. */
  readonly #waiters: Waiter[] = [];
  #flushing = false;
  /** Written batches waiting for a sync, oldest first. */
  #unsynced: Batch[] = [];
  #syncing = false;
  /** The end-of-turn flush, until it runs or an early write replaces it. */
  #scheduled: NodeJS.Immediate | undefined;
  /** Size of the batch written last (0 before the first). */
  #lastBatchBytes = 0;
  #last: Promise<void> = Promise.resolve();
  #failure: ConnectorError | undefined;
  /** The extension in flight (one at a time); `settled` never rejects. */
  #extending: { file: GenerationFile; promise: Promise<void>; settled: Promise<void> } | undefined;
  /** A background extension that failed: the next flush fails the writer with it. */
  #extendError: unknown;

  constructor(file: GenerationFile, options: JournalWriterOptions) {
    this.#file = file;
    this.#sync = options.sync;
    this.#maxBatchBytes = options.maxBatchBytes;
    // A batch stops growing once a largest frame might not fit: past that it could never go early.
    const earlyWriteBytes = options.earlyWriteBytes ?? EARLY_WRITE_BYTES;
    this.#earlyWriteBytes = Math.min(earlyWriteBytes, options.maxBatchBytes - MAX_FRAME_BYTES);
    this.#busyBatchBytes = options.busyBatchBytes ?? BUSY_BATCH_BYTES;
  }

  /** The generation new records go to. */
  get file(): GenerationFile {
    return this.#file;
  }

  /** Set once a write or sync failed; every later append rejects with it. */
  get failure(): ConnectorError | undefined {
    return this.#failure;
  }

  /** Resolves once the record is durable (or written, without `sync`). Records keep their order. */
  append(record: EncodableRecord): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const file = this.#file;
    if (this.#waiters.length === 0 && this.#hasRoom(file)) {
      const batch = this.#appendNow(record, file);
      this.#last = batch.done.promise;
      return batch.done.promise;
    }
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => {});
    this.#last = done;
    this.#waiters.push({ record, file, resolve, reject });
    return done;
  }

  /** Resolves once every record appended so far is durable. */
  barrier(): Promise<void> {
    return this.#last;
  }

  /** `barrier()`, and the extension in flight (if any) done: the file's handle may be closed. */
  idle(): Promise<void> {
    const extending = this.#extending?.settled;
    return extending === undefined ? this.#last : this.#last.then(() => extending);
  }

  /**
   * Later records go to `next`; records already appended or waiting stay in the current file.
   * Returns the promise of the last record of the current file (and of its extension in flight).
   */
  switchTo(next: GenerationFile): Promise<void> {
    const done = this.idle();
    this.#file = next;
    return done;
  }

  #hasRoom(file: GenerationFile): boolean {
    const last = this.#batches.at(-1);
    if (
      last !== undefined &&
      !last.writing &&
      last.file === file &&
      last.length + MAX_FRAME_BYTES <= this.#maxBatchBytes
    ) {
      return true;
    }
    return this.#batches.length < MAX_BATCHES;
  }

  #appendNow(record: EncodableRecord, file: GenerationFile): Batch {
    let batch = this.#batches.at(-1);
    if (
      batch === undefined ||
      batch.writing ||
      batch.file !== file ||
      batch.length + MAX_FRAME_BYTES > this.#maxBatchBytes
    ) {
      batch = this.#newBatch(file);
      this.#batches.push(batch);
    }
    batch.length += encodeRecordWith(batch.buf, batch.view, batch.length, record);
    if (!this.#flushing) {
      this.#flushing = true;
      // Let the rest of this event-loop turn add its records to the same batch.
      this.#scheduled = setImmediate(this.#flushAtTurnEnd);
    } else if (
      this.#scheduled !== undefined &&
      batch.length >= this.#earlyWriteBytes &&
      this.#lastBatchBytes < this.#busyBatchBytes
    ) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
      void this.#flush();
    }
    return batch;
  }

  readonly #flushAtTurnEnd = (): void => {
    this.#scheduled = undefined;
    void this.#flush();
  };

  #newBatch(file: GenerationFile): Batch {
    const { buf, view } = this.#spareBuffers.pop() ?? newBuffer(this.#maxBatchBytes);
    return { file, buf, view, length: 0, writing: false, written: deferred(), done: deferred() };
  }

  async #flush(): Promise<void> {
    for (let batch = this.#batches[0]; batch !== undefined; batch = this.#batches[0]) {
      batch.writing = true;
      this.#lastBatchBytes = batch.length;
      try {
        const file = batch.file;
        const at = file.end;
        const after = at + batch.length;
        if (file.preallocateBytes > 0) await this.#roomFor(file, after + FRAME_HEADER_BYTES);
        await writeAll(batch, at);
        file.end = after;
      } catch (err) {
        this.#fail(batch.file, err);
        return;
      }
      this.#batches.shift();
      this.#spareBuffers.push({ buf: batch.buf, view: batch.view });
      batch.written.resolve();
      if (this.#sync && !batch.file.syncsOnWrite) {
        this.#unsynced.push(batch);
        if (!this.#syncing) void this.#syncWritten();
      } else {
        batch.done.resolve();
      }
      this.#wakeWaiters();
    }
    this.#flushing = false;
  }

  /** One sync at a time; each covers every batch written before it started (file by file). */
  async #syncWritten(): Promise<void> {
    this.#syncing = true;
    while (this.#unsynced.length > 0 && this.#failure === undefined) {
      const batches = this.#unsynced;
      this.#unsynced = [];
      let file: GenerationFile | undefined;
      try {
        for (const batch of batches) {
          if (batch.file === file) continue;
          file = batch.file;
          await file.handle.datasync();
        }
      } catch (err) {
        this.#fail(file!, err, batches);
        break;
      }
      for (const batch of batches) batch.done.resolve();
    }
    this.#syncing = false;
  }

  /** Waits until `needed` bytes are preallocated; starts the next extension early. */
  async #roomFor(file: GenerationFile, needed: number): Promise<void> {
    if (this.#extendError !== undefined) throw this.#extendError;
    while (needed > file.allocated) await this.#extend(file, needed).promise;
    // Only the current file: an older one's handle is closed once its last record is written.
    const low = file.allocated - needed < file.preallocateBytes / 2;
    if (low && file === this.#file && this.#extending === undefined) {
      this.#extend(file, file.allocated + 1);
    }
  }

  #extend(file: GenerationFile, minEnd: number): { promise: Promise<void> } {
    if (this.#extending !== undefined && this.#extending.file === file) return this.#extending;
    const promise = extendGeneration(file, minEnd);
    const settled = promise.then(
      () => undefined,
      (err: unknown) => {
        this.#extendError ??= err;
      },
    );
    const extending = { file, promise, settled };
    this.#extending = extending;
    void settled.then(() => {
      if (this.#extending === extending) this.#extending = undefined;
    });
    return extending;
  }

  #wakeWaiters(): void {
    while (this.#waiters.length > 0 && this.#hasRoom(this.#waiters[0]!.file)) {
      const waiter = this.#waiters.shift()!;
      const batch = this.#appendNow(waiter.record, waiter.file);
      batch.done.promise.then(waiter.resolve, waiter.reject);
    }
  }

  /** A failed write or sync leaves the file's state unknown (fsyncgate): no retry, ever. */
  #fail(file: GenerationFile, err: unknown, syncing: Batch[] = []): void {
    const why = messageOf(err);
    const failure = new ConnectorError('ERR_LEDGER', `ledger journal ${file.path} write failed: ${why}`, {
      cause: err,
    });
    this.#failure ??= failure;
    for (const batch of [...syncing, ...this.#unsynced.splice(0), ...this.#batches.splice(0)]) {
      batch.written.reject(this.#failure);
      batch.done.reject(this.#failure);
    }
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
    this.#flushing = false;
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Every caller gets `promise` (or one chained to it); this keeps a failure that no caller is
  // waiting for from becoming an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function newBuffer(bytes: number): { buf: Buffer; view: DataView } {
  const buf = Buffer.allocUnsafe(bytes);
  return { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) };
}

async function writeAll(batch: Batch, position: number): Promise<void> {
  for (let at = 0; at < batch.length; ) {
    const { bytesWritten } = await batch.file.handle.write(batch.buf, at, batch.length - at, position + at);
    at += bytesWritten;
  }
}
