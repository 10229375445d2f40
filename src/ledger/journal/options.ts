/** Options of the journal backend, checked once in its constructor. */
import { ConnectorError } from '../../utils/errors.js';
import { type Logger, silentLogger } from '../../utils/logger.js';
import type { MemoryLedgerOptions } from '../memory/memory-ledger.js';
import { MAX_FRAME_BYTES } from './codec.js';

/**
 * - `fsync` (default): a call resolves once its record is written and fdatasync'd: survives power
 *   loss. Costs one fdatasync per batch (group commit).
 * - `write`: resolves once the record is written to the OS: survives a crash or kill -9 of the
 *   process, not a power loss or kernel crash.
 * - `snapshot`: no journal, only the periodic snapshot (what older connectors did): a crash loses
 *   up to `snapshotIntervalMs` of postings. Calls resolve at once.
 * - `off`: memory only, no files at all (not even a lock). State is lost on exit.
 */
export const JOURNAL_DURABILITIES = ['fsync', 'write', 'snapshot', 'off'] as const;
export type JournalDurability = (typeof JOURNAL_DURABILITIES)[number];

export interface JournalLedgerOptions extends MemoryLedgerOptions {
  /** LEDGER_SNAPSHOT_PATH. The journal, lock and temp files are kept beside it, named after it. */
  snapshotPath?: string;
  /** LEDGER_DURABILITY. Default 'fsync'. */
  durability?: JournalDurability;
  /** LEDGER_PERSIST_INTERVAL_MS: snapshot (and journal compaction) interval, 1..86_400_000. Default 30_000. */
  snapshotIntervalMs?: number;
  /** Largest journal write (one batch), 4 KiB..64 MiB. Default 256 KiB. Two batches at most exist. */
  maxBatchBytes?: number;
  /**
   * Journal generation files are filled with this many zero bytes when created (at open and at
   * each snapshot), and grown by as much when full, so a record's synced write never changes the
   * file size (no metadata commit). 0 or 4 KiB..1 GiB; 0: no preallocation. Default 64 MiB.
   */
  preallocateBytes?: number;
  /**
   * Memos kept (the latest; fulfillments passed on, for reconciliation after a crash), 0..1,000,000.
   * Only those of packets in flight at a crash matter, so a few times the in-flight limit is
   * enough. Default 10,000.
   */
  maxMemos?: number;
  /** Warnings (a torn journal tail discarded) and background snapshot errors. Default: silent. */
  logger?: Logger;
}

export const DEFAULT_SNAPSHOT_PATH = './data/ledger-snapshot.json';
const DAY_MS = 86_400_000;
const MAX_BATCH_BYTES_MAX = 64 << 20;
const MAX_BATCH_BYTES_MIN = Math.max(4096, MAX_FRAME_BYTES);

export interface ResolvedJournalOptions {
  readonly snapshotPath: string;
  readonly durability: JournalDurability;
  readonly snapshotIntervalMs: number;
  readonly maxBatchBytes: number;
  readonly preallocateBytes: number;
  readonly logger: Logger;
  readonly maxRememberedTransfers: number;
  readonly sweepIntervalMs: number;
  readonly maxMemos: number;
}

export function resolveJournalOptions(options: JournalLedgerOptions): ResolvedJournalOptions {
  const durability = options.durability ?? 'fsync';
  if (!JOURNAL_DURABILITIES.includes(durability)) {
    throw invalid(`durability must be one of ${JOURNAL_DURABILITIES.join(', ')}, got ${String(durability)}`);
  }
  const snapshotPath = options.snapshotPath ?? DEFAULT_SNAPSHOT_PATH;
  if (typeof snapshotPath !== 'string' || snapshotPath.length === 0) {
    throw invalid('snapshotPath must be a non-empty string');
  }
  return {
    snapshotPath,
    durability,
    snapshotIntervalMs: integerIn('snapshotIntervalMs', options.snapshotIntervalMs, 30_000, 1, DAY_MS),
    maxBatchBytes: integerIn(
      'maxBatchBytes',
      options.maxBatchBytes,
      256 << 10,
      MAX_BATCH_BYTES_MIN,
      MAX_BATCH_BYTES_MAX,
    ),
    preallocateBytes: preallocateBytes(options.preallocateBytes),
    logger: options.logger ?? silentLogger(),
    // The memory ledger checks these two; the journal needs their values too.
    maxRememberedTransfers: options.maxRememberedTransfers ?? 10_000,
    sweepIntervalMs: options.sweepIntervalMs ?? 1_000,
    maxMemos: integerIn('maxMemos', options.maxMemos, 10_000, 0, 1_000_000),
  };
}

function preallocateBytes(value: number | undefined): number {
  if (value === 0) return 0;
  return integerIn('preallocateBytes', value, 64 << 20, 4096, 1 << 30);
}

function integerIn(name: string, value: number | undefined, fallback: number, min: number, max: number) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

function invalid(message: string): ConnectorError {
  return new ConnectorError('ERR_INVALID_ARGUMENT', message);
}
