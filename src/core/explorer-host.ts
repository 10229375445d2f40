/**
 * Where and how the node's Explorer runs (DESIGN §9): its settings from config (the store beside
 * the ledger snapshot unless `explorer.storePath` says otherwise; the admin API key unless
 * `explorer.apiKey` is set) and the node's answers to what the Explorer asks (ExplorerNode).
 */
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../config/index.js';
import { type EventRecorder, Explorer, type ExplorerNode, type ExplorerSettings } from '../http/index.js';
import { DEFAULT_SNAPSHOT_PATH } from '../ledger/index.js';
import type { Logger } from '../utils/logger.js';
import { listenNamed } from '../utils/port-in-use.js';

export const DEFAULT_EXPLORER_HOST = '127.0.0.1';
export const EXPLORER_STORE_FILE = 'events.db';

export function explorerSettings(config: ResolvedConfig): ExplorerSettings {
  const e = config.explorer;
  const snapshot = config.settlement?.ledgerSnapshotPath ?? DEFAULT_SNAPSHOT_PATH;
  const apiKey = e.apiKey ?? config.adminApi.apiKey;
  return {
    port: e.port,
    host: e.host ?? DEFAULT_EXPLORER_HOST,
    retentionDays: e.retentionDays,
    maxEvents: e.maxEvents,
    storePath: e.storePath ?? join(dirname(snapshot), EXPLORER_STORE_FILE),
    ...(apiKey === undefined ? {} : { apiKey }),
  };
}

/** Starts the Explorer when the node records events (`explorer.enabled`); undefined otherwise. */
export async function startExplorer(
  config: ResolvedConfig,
  recorder: EventRecorder | undefined,
  node: ExplorerNode,
  logger: Logger,
): Promise<Explorer | undefined> {
  if (recorder === undefined) return undefined;
  const explorer = new Explorer({ settings: explorerSettings(config), recorder, node, logger });
  const port = config.explorer.port;
  await listenNamed({ port, setting: 'explorer.port', envVar: 'EXPLORER_PORT' }, () => explorer.start());
  return explorer;
}

/** The URL an operator opens (loopback names stay as they are; a wildcard bind shows localhost). */
export function explorerUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}
