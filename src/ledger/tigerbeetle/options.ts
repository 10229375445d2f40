/** Options of the TigerBeetle backend, checked once at construction. */
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { TB_BATCH_MAX, type TigerBeetleClientLike } from './client.js';

export interface TigerBeetleLedgerOptions {
  /** TIGERBEETLE_CLUSTER_ID. */
  clusterId: bigint;
  /** TIGERBEETLE_REPLICAS, e.g. ['3000'] or ['10.0.0.1:3000', '10.0.0.2:3000', '10.0.0.3:3000']. */
  replicaAddresses: string[];
  /** TigerBeetle ledger number of every account and transfer (one per asset), 1..2^32 - 1. Default 1. */
  ledger?: number;
  /** TigerBeetle `code` of every account and transfer, 1..65,535. Default 1. */
  code?: number;
  /** open() rejects if the cluster has not answered by then; also bounds close()'s flush. Default 5,000. */
  connectTimeoutMs?: number;
  /** Events per request, 1..8,189 (TigerBeetle's limit). Default 8,189. */
  maxBatch?: number;
  /** Events waiting for a request; past it calls reject with ERR_LEDGER. Default 131,072. */
  maxQueuedEvents?: number;
  /** Finished holds remembered for exact answers (../README.md). Default 10,000. */
  maxRememberedTransfers?: number;
  /** How often this instance's expired holds are voided in the background, 1..60,000. Default 1,000. */
  sweepIntervalMs?: number;
  /** Clock in ms since the epoch, for hold expiry; injectable for tests. Default `Date.now`. */
  now?: () => number;
  logger: Logger;
  /** A client to use instead of loading tigerbeetle-node (tests); it is not destroyed on close. */
  client?: TigerBeetleClientLike;
}

export interface ResolvedOptions {
  clusterId: bigint;
  replicaAddresses: readonly string[];
  ledger: number;
  code: number;
  connectTimeoutMs: number;
  maxBatch: number;
  maxQueuedEvents: number;
  maxRememberedTransfers: number;
  sweepIntervalMs: number;
  now: () => number;
  client: TigerBeetleClientLike | undefined;
}

function inRange(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be an integer in [${min}, ${max}], got ${v}`,
    );
  }
  return v;
}

export function openOptions(o: TigerBeetleLedgerOptions): ResolvedOptions {
  if (typeof o.clusterId !== 'bigint' || o.clusterId < 0n || o.clusterId >= 1n << 128n) {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'clusterId must be a u128 bigint');
  }
  if (o.client === undefined && (o.replicaAddresses.length === 0 || o.replicaAddresses.some((a) => !a))) {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'replicaAddresses must list at least one address');
  }
  return {
    clusterId: o.clusterId,
    replicaAddresses: [...o.replicaAddresses],
    ledger: inRange('ledger', o.ledger, 1, 1, 0xffff_ffff),
    code: inRange('code', o.code, 1, 1, 0xffff),
    connectTimeoutMs: inRange('connectTimeoutMs', o.connectTimeoutMs, 5_000, 1, 600_000),
    maxBatch: inRange('maxBatch', o.maxBatch, TB_BATCH_MAX, 1, TB_BATCH_MAX),
    maxQueuedEvents: inRange('maxQueuedEvents', o.maxQueuedEvents, 131_072, 1, 100_000_000),
    maxRememberedTransfers: inRange(
      'maxRememberedTransfers',
      o.maxRememberedTransfers,
      10_000,
      1,
      100_000_000,
    ),
    sweepIntervalMs: inRange('sweepIntervalMs', o.sweepIntervalMs, 1_000, 1, 60_000),
    now: o.now ?? Date.now,
    client: o.client,
  };
}
