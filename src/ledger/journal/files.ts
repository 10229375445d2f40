/**
 * Where the journal backend keeps its files, all beside the snapshot and named after it:
 *
 *   <snapshot>             the latest snapshot (JSON)
 *   <snapshot>.tmp         a snapshot being written (renamed over <snapshot> once durable)
 *   <snapshot>.lock        the pid of the process that has the ledger open
 *   <snapshot>.journal-N   journal generation N (N = 1, 2, ...; records after snapshot N - 1)
 *   <snapshot>.holds-N     the in-flight records of generation N (written, never synced)
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { ConnectorError } from '../../utils/errors.js';
import { JOURNAL_MAGIC } from './codec.js';

export interface JournalPaths {
  readonly dir: string;
  readonly snapshot: string;
  readonly tmp: string;
  readonly lock: string;
  generation(n: number): string;
  /** The in-flight hold log beside generation `n`. */
  holds(n: number): string;
}

export function journalPaths(snapshotPath: string): JournalPaths {
  const dir = dirname(snapshotPath);
  return {
    dir,
    snapshot: snapshotPath,
    tmp: `${snapshotPath}.tmp`,
    lock: `${snapshotPath}.lock`,
    generation: (n) => `${snapshotPath}.journal-${n}`,
    holds: (n) => `${snapshotPath}.holds-${n}`,
  };
}

/** Generation numbers present on disk (of journal files, or of hold logs), ascending. */
export async function listGenerations(
  paths: JournalPaths,
  kind: 'journal' | 'holds' = 'journal',
): Promise<number[]> {
  const prefix = `${basename(paths.snapshot)}.${kind}-`;
  const found: number[] = [];
  for (const name of await readdir(paths.dir)) {
    if (!name.startsWith(prefix)) continue;
    const digits = name.slice(prefix.length);
    // Canonical decimal only, so one generation has exactly one file name.
    if (/^[1-9]\d{0,14}$/.test(digits)) found.push(Number(digits));
  }
  return found.sort((a, b) => a - b);
}

/** An open generation file that records are written to, each batch at an explicit offset. */
export interface GenerationFile {
  readonly generation: number;
  readonly path: string;
  readonly handle: FileHandle;
  /** Opened O_DSYNC: every write returns once its data is on disk, so no separate fdatasync. */
  readonly syncsOnWrite: boolean;
  /** Where the next batch goes: the end of the records written so far. */
  end: number;
  /** Bytes written as zeros ahead of the records (the file's size); 0 without preallocation. */
  allocated: number;
  /** How much is preallocated at creation and added at each extension; 0: none (the file grows). */
  readonly preallocateBytes: number;
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
/** Zeros are written this much at a time. */
const ZERO_CHUNK_BYTES = 1 << 20;
let zeroChunk: Buffer | undefined;

/**
 * Creates generation `n` with its header, durably (file and directory entry), ready for records.
 * With `preallocateBytes` the file is first filled with zeros up to that size and fdatasync'd: a
 * record written later inside it changes no file size, so its synced write commits no metadata
 * (about a third cheaper on ext4). With `syncOnWrite` the records' handle is opened O_DSYNC: one
 * write per batch instead of write + fdatasync, one trip through the thread pool instead of two.
 * No O_APPEND: every write names its offset (Linux ignores the offset of a pwrite with O_APPEND).
 */
export async function createGeneration(
  paths: JournalPaths,
  n: number,
  syncOnWrite = false,
  preallocateBytes = 0,
): Promise<GenerationFile> {
  const path = paths.generation(n);
  const dsync = syncOnWrite && constants.O_DSYNC !== undefined;
  const size = Math.max(preallocateBytes, JOURNAL_MAGIC.length);
  let handle = await open(path, CREATE_NEW);
  try {
    await writeFully(handle, JOURNAL_MAGIC, 0);
    // Zeros are written without O_DSYNC (one fdatasync for all of them), then the file reopened.
    await writeZeros(handle, JOURNAL_MAGIC.length, size);
    await handle.datasync();
    if (dsync) {
      const first = handle;
      handle = await open(path, constants.O_WRONLY | constants.O_DSYNC);
      await first.close();
    }
    await syncDirectory(paths.dir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    // Left behind, the half-made file would make every later attempt at this number fail (EXCL).
    await unlink(path).catch(() => undefined);
    throw err;
  }
  return {
    generation: n,
    path,
    handle,
    syncsOnWrite: dsync,
    end: JOURNAL_MAGIC.length,
    allocated: preallocateBytes > 0 ? size : 0,
    preallocateBytes,
  };
}

/**
 * Creates the hold log of generation `n`: its header, no preallocation, no O_DSYNC and no sync at
 * all. Its records (a hold before its Prepare leaves, the end of a hold without a posting) only
 * need to survive the process (kill -9): the OS has them once written. A power loss may lose them
 * or leave the file short or zero-filled, which its reader accepts (reader.ts, `replayHolds`).
 * An older file of the same name (a run that crashed before its journal generation was created) is
 * truncated: it holds nothing that generation's journal could refer to.
 */
export async function createHoldLog(paths: JournalPaths, n: number): Promise<GenerationFile> {
  const path = paths.holds(n);
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  try {
    await writeFully(handle, JOURNAL_MAGIC, 0);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return {
    generation: n,
    path,
    handle,
    syncsOnWrite: false,
    end: JOURNAL_MAGIC.length,
    allocated: 0,
    preallocateBytes: 0,
  };
}

const MIB = 1 << 20;

/**
 * How much to preallocate for a new generation: 1.5x what the previous one used (0 at open),
 * at least 1 MiB, at most the configured size. A fixed large size would write that many zeros
 * every snapshot interval even for a node that books one packet in it; growth beyond the estimate
 * is handled by extending in the background.
 */
export function nextPreallocation(previousUsedBytes: number, configuredBytes: number): number {
  if (configuredBytes === 0) return 0;
  const wanted = Math.ceil((previousUsedBytes * 1.5) / MIB) * MIB;
  return Math.min(configuredBytes, Math.max(MIB, wanted));
}

/**
 * Grows a preallocated generation with zeros until `minEnd` fits (at least `preallocateBytes`
 * more). Only when a batch would run past the preallocated end: that write waits for it. On an
 * O_DSYNC handle the zeros are on disk when this returns; otherwise the caller's fdatasync after
 * its records covers them (and the new size).
 */
export async function extendGeneration(file: GenerationFile, minEnd: number): Promise<void> {
  const target = Math.max(minEnd, file.allocated + file.preallocateBytes);
  await writeZeros(file.handle, file.allocated, target);
  file.allocated = target;
}

async function writeZeros(handle: FileHandle, from: number, to: number): Promise<void> {
  zeroChunk ??= Buffer.alloc(ZERO_CHUNK_BYTES);
  for (let at = from; at < to; at += ZERO_CHUNK_BYTES) {
    await writeFully(handle, zeroChunk.subarray(0, Math.min(ZERO_CHUNK_BYTES, to - at)), at);
  }
}

/** Writes all of `buf` at `position`. */
export async function writeFully(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** fsync of a directory makes a create, rename or unlink in it durable (POSIX). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    // Some platforms (Windows) cannot open a directory; there a rename is as durable as it gets.
    if (isCode(err, 'EISDIR') || isCode(err, 'EPERM')) return;
    throw err;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
}

export function isCode(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/** Lock files this process holds: a lock naming our own pid that is not here is stale. */
const heldLocks = new Set<string>();

/**
 * Takes the lock file, which holds `pid host`. It is written aside and hard-linked into place, so
 * it never exists without its content. A lock left by a dead process on this host is taken over,
 * and so is one naming our own pid that this process does not hold (a container restarted with the
 * same pid); a live (or unverifiable: other host) owner makes open fail. Two processes taking over
 * the same stale lock at once: the takeover renames before it deletes (discardStaleLock), so the
 * loser never removes the winner's fresh lock. Returns the release function.
 */
export async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const key = resolve(lockPath);
  if (heldLocks.has(key)) throw locked(lockPath, { pid: process.pid, host: hostname() });
  heldLocks.add(key);
  const aside = `${lockPath}.${process.pid}`;
  try {
    await writeFile(aside, `${process.pid} ${hostname()}\n`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(aside, lockPath);
        await syncDirectory(dirname(lockPath));
        return async () => {
          await removeFile(lockPath);
          heldLocks.delete(key);
        };
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const owner = await readLockOwner(lockPath);
      if (owner !== undefined && isLiveOwner(owner)) throw locked(lockPath, owner);
      if (owner !== undefined) await discardStaleLock(lockPath, owner);
    }
    throw new ConnectorError('ERR_LEDGER', `ledger ${lockPath}: could not take the lock`);
  } catch (err) {
    heldLocks.delete(key);
    throw err;
  } finally {
    await removeFile(aside);
  }
}

/**
 * Takes a stale lock out of the way without ever deleting a live one: the file is renamed aside
 * (only one process can rename it), and only if the renamed file is still the stale owner's is it
 * deleted. If another process took the stale lock over in between, the lock we moved is theirs:
 * it is put back and we report the path as locked.
 */
export async function discardStaleLock(lockPath: string, stale: LockOwner): Promise<void> {
  const moved = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, moved);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return; // someone else moved it first; try to link again
    throw err;
  }
  const owner = await readLockOwner(moved).catch(() => undefined);
  if (owner !== undefined && owner.pid === stale.pid && owner.host === stale.host) {
    await removeFile(moved);
    return;
  }
  // Not the stale lock any more: a live process's. Put it back (never over another one).
  try {
    await link(moved, lockPath);
  } finally {
    await removeFile(moved);
  }
  throw locked(lockPath, owner ?? stale);
}

function locked(lockPath: string, owner: LockOwner): ConnectorError {
  return new ConnectorError(
    'ERR_LEDGER',
    `ledger ${lockPath} is locked by process ${owner.pid} on ${owner.host}: ` +
      'another node uses this ledger path. To run several nodes from one directory, give each ' +
      'its own data directory: set LEDGER_SNAPSHOT_PATH (settlement.ledgerSnapshotPath), e.g. ' +
      'LEDGER_SNAPSHOT_PATH=./data/<nodeId>/ledger-snapshot.json (the Explorer store and settlement ' +
      'state follow it). Delete the lock file only if that process is gone.',
  );
}

interface LockOwner {
  pid: number;
  host: string;
}

async function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  const match = /^(\d+) (\S+)\n$/.exec(text);
  // We always write a lock whole, so this one is not ours: refuse rather than guess.
  if (match === null) {
    throw new ConnectorError(
      'ERR_LEDGER',
      `ledger ${lockPath} holds an unknown lock; delete it only if no node uses this ledger path`,
    );
  }
  return { pid: Number(match[1]), host: match[2]! };
}

function isLiveOwner(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false; // not in heldLocks (checked first): a previous life
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return !isCode(err, 'ESRCH');
  }
}
