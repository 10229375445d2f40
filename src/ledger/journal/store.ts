/**
 * The journal backend's files: the lock, the snapshot and the journal generations. At open it
 * loads the snapshot and replays the generations after it; then it appends records (group commit)
 * and, every `snapshotIntervalMs` and at close, compacts: appends switch to a new generation, the
 * state at that instant is written as the snapshot covering every older generation, and those are
 * deleted once the snapshot is durable. No record appended meanwhile is lost: it is in the new
 * generation, which the snapshot does not cover.
 *
 * Each generation has a hold log beside it (`<snapshot>.holds-N`, files.ts `createHoldLog`) for
 * the records of in-flight holds: written, never synced, so that a hold costs its Prepare a write
 * to the OS instead of a write to the disk. At open a generation's hold log is replayed before its
 * journal: a hold's record always precedes the posting or settlement that ends it, in its own
 * generation or a later one.
 */

import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import type { MemoryLedger } from '../memory/memory-ledger.js';
import type { EncodableRecord, InFlightRecord, SettledRecord } from './codec.js';
import {
  acquireLock,
  createGeneration,
  createHoldLog,
  type JournalPaths,
  listGenerations,
  nextPreallocation,
  removeFile,
} from './files.js';
import type { InFlightBook } from './in-flight.js';
import type { ResolvedJournalOptions } from './options.js';
import { replayGeneration, replayHoldLog } from './reader.js';
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
  /** The hold log's writer: with `#writer`, on the generation of the same number. */
  readonly #holdWriter: JournalWriter | undefined;
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
    writers: { journal: JournalWriter; holds: JournalWriter } | undefined,
    generations: number[],
    replayed: number,
  ) {
    this.#paths = paths;
    this.#inner = inner;
    this.#inFlight = inFlight;
    this.#logger = options.logger;
    this.#preallocateBytes = options.preallocateBytes;
    this.#releaseLock = releaseLock;
    this.#writer = writers?.journal;
    this.#holdWriter = writers?.holds;
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
      let writers: { journal: JournalWriter; holds: JournalWriter } | undefined;
      if (options.durability === 'fsync' || options.durability === 'write') {
        // O_DSYNC with 'fsync': one syscall per batch (measured faster than a write and a separate
        // fdatasync per batch: the batches stay large). The writer's separate syncs serve files
        // opened without it.
        const file = await createGeneration(
          paths,
          last + 1,
          options.durability === 'fsync',
          nextPreallocation(0, options.preallocateBytes),
        );
        const journal = new JournalWriter(file, {
          sync: options.durability === 'fsync',
          maxBatchBytes: options.maxBatchBytes,
        });
        // After the journal file: a hold log never exists without its generation's journal.
        const holdLog = await createHoldLog(paths, file.generation).catch(async (err: unknown) => {
          await file.handle.close().catch(() => undefined);
          throw err;
        });
        const holds = new JournalWriter(holdLog, { sync: false, maxBatchBytes: options.maxBatchBytes });
        writers = { journal, holds };
        replayed.push(file.generation);
      }
      return new JournalStore(paths, options, inner, inFlight, releaseLock, writers, replayed, last);
    } catch (err) {
      await releaseLock();
      throw err;
    }
  }

  get failure(): ConnectorError | undefined {
    return this.#writer?.failure ?? this.#holdWriter?.failure;
  }

  /** The record's durability promise, or undefined when nothing is journaled ('snapshot'). */
  append(record: EncodableRecord): Promise<void> | undefined {
    this.#changes++;
    return this.#writer?.append(record);
  }

  /**
   * An in-flight or settled record, to the hold log: the promise of its being written (kill -9
   * safe, never synced), or undefined ('snapshot').
   */
  appendHold(record: InFlightRecord | SettledRecord): Promise<void> | undefined {
    this.#changes++;
    return this.#holdWriter?.append(record);
  }

  /** Every record appended so far durable, the hold log's written (a retry's rare path). */
  barrier(): Promise<void> | undefined {
    const journal = this.#writer?.barrier();
    const holds = this.#holdWriter?.barrier();
    return journal === undefined || holds === undefined
      ? journal
      : Promise.all([journal, holds]).then(() => {});
  }

  /** Waits for every record, writes the final snapshot and deletes the journal it covers. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#snapshotting;
    let covered = this.#replayed;
    const writer = this.#writer;
    const holds = this.#holdWriter;
    if (writer !== undefined && holds !== undefined) {
      try {
        await Promise.all([writer.idle(), holds.idle()]);
        covered = writer.file.generation;
      } finally {
        this.#fileClosed = true;
        await Promise.all([writer.file.handle.close(), holds.file.handle.close()]);
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
      await this.#holdWriter?.file.handle.close().catch(() => {});
    }
    await this.#releaseLock();
  }

  #periodicSnapshot(): void {
    if (this.#snapshotting !== undefined || this.#changes === 0 || this.failure) return;
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
    const holds = this.#holdWriter;
    let covered = this.#replayed;
    let text: string;
    let changes: number;
    if (writer === undefined || holds === undefined) {
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
      // If this fails nothing was switched: the new generation's file goes again (its number is
      // taken by the next snapshot), appends stay in the old one.
      const nextHolds = await createHoldLog(this.#paths, next.generation).catch(async (err: unknown) => {
        await next.handle.close().catch(() => undefined);
        await removeFile(next.path).catch(() => undefined);
        throw err;
      });
      this.#generations.push(next.generation);
      const oldHolds = holds.file;
      // The switch and the copy of the state happen in one tick: the snapshot covers exactly the
      // records of the old generations, hold logs included.
      const oldDone = Promise.all([writer.switchTo(next), holds.switchTo(nextHolds)]);
      changes = this.#changes;
      covered = old.generation;
      text = encodeSnapshot(this.#inner.exportState(), covered, this.#inFlight);
      try {
        await oldDone;
      } finally {
        await Promise.all([old.handle.close(), oldHolds.handle.close()]);
      }
    }
    await writeSnapshot(this.#paths, text);
    this.#changes -= changes;
    await this.#dropCovered(covered);
  }

  async #dropCovered(covered: number): Promise<void> {
    for (const g of this.#generations) {
      if (g > covered) continue;
      await removeFile(this.#paths.generation(g));
      await removeFile(this.#paths.holds(g));
    }
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
  // Hold logs of covered generations (left when a crash followed the snapshot), and any without
  // a journal generation (none is written so: the journal file is created first).
  for (const g of await listGenerations(paths, 'holds')) {
    if (g <= covered || !later.includes(g)) await removeFile(paths.holds(g));
  }
  for (const [i, g] of later.entries()) {
    if (g !== covered + 1 + i) {
      const missing = paths.generation(covered + 1 + i);
      throw new ConnectorError(
        'ERR_LEDGER',
        `ledger journal ${missing} is missing (found ${paths.generation(g)})`,
      );
    }
    // A hold's record precedes what ends it: the generation's hold log first, then its journal.
    await replayHoldLog(paths.holds(g), (record) => state.apply(record), logger);
    await replayGeneration(paths.generation(g), (record) => state.apply(record), logger);
  }
  return later;
}
