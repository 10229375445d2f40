/**
 * The journal backend's files: the lock, the snapshot and the journal generations. At open it
 * loads the snapshot and replays the generations after it; then it appends records (group commit)
 * and, every `snapshotIntervalMs` and at close, compacts: appends switch to a new generation, the
 * state at that instant is written as the snapshot covering every older generation, and those are
 * deleted once the snapshot is durable. No record appended meanwhile is lost: it is in the new
 * generation, which the snapshot does not cover.
 */

import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import type { MemoryLedger } from '../memory/memory-ledger.js';
import type { EncodableRecord } from './codec.js';
import {
  acquireLock,
  createGeneration,
  type JournalPaths,
  listGenerations,
  nextPreallocation,
  removeFile,
} from './files.js';
import type { InFlightBook } from './in-flight.js';
import type { ResolvedJournalOptions } from './options.js';
import { replayGeneration } from './reader.js';
import { encodeSnapshot, readSnapshot, writeSnapshot } from './snapshot.js';
import { LoadedState } from './state.js';
import { JournalWriter } from './writer.js';

export class JournalStore {
  readonly #paths: JournalPaths;
  /** The durable state at run time: every change to it is appended in the same tick. */
  readonly #inner: MemoryLedger;
  /** Open in-flight holds and memos: part of every snapshot. */
  readonly #inFlight: InFlightBook;
  readonly #logger: Logger;
  /** The configured ceiling; each generation preallocates what the last one needed. */
  readonly #preallocateBytes: number;
  readonly #releaseLock: () => Promise<void>;
  #released = false;
  #fileClosed = false;
  /** Undefined with durability 'snapshot': the snapshot is all there is. */
  readonly #writer: JournalWriter | undefined;
  /** Generations on disk that no durable snapshot covers yet, ascending. */
  #generations: number[];
  /** Without a writer: the last generation folded into the state (left over from a journaled run). */
  readonly #replayed: number;
  /** Records since the last snapshot: an idle ledger is not snapshotted again. */
  #changes = 0;
  readonly #timer: NodeJS.Timeout;
  #snapshotting: Promise<void> | undefined;

  private constructor(
    paths: JournalPaths,
    options: ResolvedJournalOptions,
    inner: MemoryLedger,
    inFlight: InFlightBook,
    releaseLock: () => Promise<void>,
    writer: JournalWriter | undefined,
    generations: number[],
    replayed: number,
  ) {
    this.#paths = paths;
    this.#inner = inner;
    this.#inFlight = inFlight;
    this.#logger = options.logger;
    this.#preallocateBytes = options.preallocateBytes;
    this.#releaseLock = releaseLock;
    this.#writer = writer;
    this.#generations = generations;
    this.#replayed = replayed;
    // unref: the final snapshot is close()'s job; this timer must not keep the process alive.
    this.#timer = setInterval(() => this.#periodicSnapshot(), options.snapshotIntervalMs).unref();
  }

  /** Takes the lock and loads snapshot and journal into `inner`, open and empty. */
  static async open(
    paths: JournalPaths,
    options: ResolvedJournalOptions,
    inner: MemoryLedger,
    inFlight: InFlightBook,
  ): Promise<JournalStore> {
    const releaseLock = await acquireLock(paths.lock);
    try {
      await removeFile(paths.tmp);
      const state = new LoadedState(options.maxRememberedTransfers, inFlight);
      const covered = (await readSnapshot(paths, state)) ?? 0;
      const replayed = await replayAfter(paths, covered, state, options.logger);
      const plan = state.plan();
      if (typeof plan === 'string') {
        throw new ConnectorError('ERR_LEDGER', `journal ledger state is inconsistent: ${plan}`);
      }
      inner.restore(plan);
      const last = replayed.at(-1) ?? covered;
      let writer: JournalWriter | undefined;
      if (options.durability === 'fsync' || options.durability === 'write') {
        // O_DSYNC with 'fsync': one syscall per batch, and a hold's record is synced before its
        // Prepare leaves (measured faster than a write and a separate fdatasync per batch: the
        // batches stay large). The writer's separate syncs serve files opened without it.
        const file = await createGeneration(
          paths,
          last + 1,
          options.durability === 'fsync',
          nextPreallocation(0, options.preallocateBytes),
        );
        writer = new JournalWriter(file, {
          sync: options.durability === 'fsync',
          maxBatchBytes: options.maxBatchBytes,
        });
        replayed.push(file.generation);
      }
      return new JournalStore(paths, options, inner, inFlight, releaseLock, writer, replayed, last);
    } catch (err) {
      await releaseLock();
      throw err;
    }
  }

  get failure(): ConnectorError | undefined {
    return this.#writer?.failure;
  }

  /** The record's durability promise, or undefined when nothing is journaled ('snapshot'). */
  append(record: EncodableRecord): Promise<void> | undefined {
    this.#changes++;
    return this.#writer?.append(record);
  }

  /** The record's promise of being written (kill -9 safe, not synced), or undefined ('snapshot'). */
  appendWritten(record: EncodableRecord): Promise<void> | undefined {
    this.#changes++;
    return this.#writer?.appendWritten(record);
  }

  barrier(): Promise<void> | undefined {
    return this.#writer?.barrier();
  }

  /** Waits for every record, writes the final snapshot and deletes the journal it covers. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#snapshotting;
    let covered = this.#replayed;
    const writer = this.#writer;
    if (writer !== undefined) {
      try {
        await writer.idle();
        covered = writer.file.generation;
      } finally {
        this.#fileClosed = true;
        await writer.file.handle.close();
      }
    }
    await writeSnapshot(this.#paths, encodeSnapshot(this.#inner.exportState(), covered, this.#inFlight));
    await this.#dropCovered(covered);
  }

  /** Closes what close() did not (after a failure) and releases the lock; idempotent. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#released) return;
    this.#released = true;
    if (this.#writer !== undefined && !this.#fileClosed) {
      this.#fileClosed = true;
      await this.#writer.file.handle.close().catch(() => {});
    }
    await this.#releaseLock();
  }

  #periodicSnapshot(): void {
    if (this.#snapshotting !== undefined || this.#changes === 0 || this.#writer?.failure) return;
    this.#snapshotting = this.#snapshot()
      .catch((err: unknown) => {
        this.#logger.error(
          { err, file: this.#paths.snapshot },
          'ledger snapshot failed; the journal still has every record',
        );
      })
      .finally(() => {
        this.#snapshotting = undefined;
      });
  }

  async #snapshot(): Promise<void> {
    const writer = this.#writer;
    let covered = this.#replayed;
    let text: string;
    let changes: number;
    if (writer === undefined) {
      changes = this.#changes;
      text = encodeSnapshot(this.#inner.exportState(), covered, this.#inFlight);
    } else {
      const old = writer.file;
      const next = await createGeneration(
        this.#paths,
        old.generation + 1,
        old.syncsOnWrite,
        nextPreallocation(old.end, this.#preallocateBytes),
      );
      this.#generations.push(next.generation);
      // The switch and the copy of the state happen in one tick: the snapshot covers exactly the
      // records of the old generations.
      const oldDone = writer.switchTo(next);
      changes = this.#changes;
      covered = old.generation;
      text = encodeSnapshot(this.#inner.exportState(), covered, this.#inFlight);
      try {
        await oldDone;
      } finally {
        await old.handle.close();
      }
    }
    await writeSnapshot(this.#paths, text);
    this.#changes -= changes;
    await this.#dropCovered(covered);
  }

  async #dropCovered(covered: number): Promise<void> {
    for (const g of this.#generations) if (g <= covered) await removeFile(this.#paths.generation(g));
    this.#generations = this.#generations.filter((g) => g > covered);
  }
}

/**
 * Deletes generations the snapshot covers (left when a crash followed the snapshot), replays the
 * rest in order and returns their numbers. They must run on from the snapshot without a gap.
 */
async function replayAfter(
  paths: JournalPaths,
  covered: number,
  state: LoadedState,
  logger: Logger,
): Promise<number[]> {
  const later: number[] = [];
  for (const g of await listGenerations(paths)) {
    if (g <= covered) await removeFile(paths.generation(g));
    else later.push(g);
  }
  for (const [i, g] of later.entries()) {
    if (g !== covered + 1 + i) {
      const missing = paths.generation(covered + 1 + i);
      throw new ConnectorError(
        'ERR_LEDGER',
        `ledger journal ${missing} is missing (found ${paths.generation(g)})`,
      );
    }
    await replayGeneration(paths.generation(g), (record) => state.apply(record), logger);
  }
  return later;
}
