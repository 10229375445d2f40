/**
 * Which ledger a node keeps its books in (DESIGN §6): TigerBeetle when a cluster is configured
 * and reachable; else the durable default (memory + journal + snapshots) at LEDGER_SNAPSHOT_PATH,
 * in the durability mode configured (`off` is the plain memory ledger).
 */
import { dirname } from 'node:path';
import type { ResolvedConfig } from '../config/index.js';
import {
  DEFAULT_SNAPSHOT_PATH,
  JournalLedger,
  type Ledger,
  MemoryLedger,
  TigerBeetleLedger,
} from '../ledger/index.js';
import type { Logger } from '../utils/logger.js';

export const DEFAULT_PERSIST_INTERVAL_MS = 30_000;

/** The node's data directory: where its ledger is, and everything else it keeps beside it. */
export function dataDirOf(config: ResolvedConfig): string {
  return dirname(config.settlement?.ledgerSnapshotPath ?? DEFAULT_SNAPSHOT_PATH);
}
/** How long a start waits for TigerBeetle before it falls back. */
export const TIGERBEETLE_CONNECT_TIMEOUT_MS = 5_000;

export function defaultLedger(config: ResolvedConfig, logger: Logger): Ledger {
  const s = config.settlement;
  const durability = s?.ledgerDurability ?? 'fsync';
  if (durability === 'off') return new MemoryLedger();
  return new JournalLedger({
    snapshotPath: s?.ledgerSnapshotPath ?? DEFAULT_SNAPSHOT_PATH,
    snapshotIntervalMs: s?.ledgerPersistIntervalMs ?? DEFAULT_PERSIST_INTERVAL_MS,
    durability,
    logger,
  });
}

/**
 * Opens TigerBeetle when it is configured; when it cannot be reached the node keeps its books in
 * `fallback` and says so loudly, as the spec asks. Returns the ledger to use, opened.
 */
export async function openLedger(config: ResolvedConfig, logger: Logger, fallback: Ledger): Promise<Ledger> {
  const s = config.settlement;
  const clusterId = s?.tigerBeetleClusterId;
  const replicas = s?.tigerBeetleReplicas;
  if (clusterId === undefined || replicas === undefined || replicas.length === 0) {
    await fallback.open();
    return fallback;
  }
  const tigerBeetle = new TigerBeetleLedger({
    clusterId,
    replicaAddresses: [...replicas],
    connectTimeoutMs: s?.tigerBeetleConnectTimeoutMs ?? TIGERBEETLE_CONNECT_TIMEOUT_MS,
    logger,
  });
  try {
    await tigerBeetle.open();
    logger.info({ clusterId: clusterId.toString(), replicas }, 'ledger: TigerBeetle');
    return tigerBeetle;
  } catch (err) {
    await tigerBeetle.close().catch(() => undefined);
    logger.error(
      { err, clusterId: clusterId.toString(), replicas, fallback: fallback.name },
      'TIGERBEETLE UNREACHABLE: balances are kept in the local ledger instead. Fix the cluster or the config: the two ledgers do not merge.',
    );
    await fallback.open();
    return fallback;
  }
}

/**
 * The node's ledger: the one given by the embedder, or the default until start chooses
 * (TigerBeetle may replace it). Parts that keep books read `current` when they act.
 */
export class NodeLedger {
  private ledger: Ledger;
  private readonly given: boolean;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    given: Ledger | undefined,
  ) {
    this.given = given !== undefined;
    this.ledger = given ?? defaultLedger(config, logger);
  }

  get current(): Ledger {
    return this.ledger;
  }

  /** Opens the ledger (an embedder's as given, else the configured choice); returns it. */
  async open(): Promise<Ledger> {
    if (this.given) await this.ledger.open();
    else this.ledger = await openLedger(this.config, this.logger, this.ledger);
    return this.ledger;
  }
}
