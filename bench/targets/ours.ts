/**
 * Node under test: our ConnectorNode in its own process, BTP and health on ephemeral ports, logging
 * at warn. Tells the orchestrator its BTP port and every peer that authenticates.
 *
 *   node dist/bench/targets/ours.js '{"nodeId":"n1","peers":[{"id":"sender","authToken":"s"}],"routes":[]}'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorNode } from '../../src/index.js';
import { createLogger } from '../../src/utils/logger.js';
import { die, exitOnSignal, optionsFromArgv, tell } from '../harness/messages.js';
import { installAllocProbe } from './alloc-probe.js';

export interface OursOptions {
  nodeId: string;
  peers: Array<{ id: string; authToken: string; url?: string }>;
  routes: Array<{ prefix: string; nextHop: string }>;
  /** Extra routes `g.bench-<i>` added after start (the config caps routes at 100k, the table at 1M). */
  extraRoutes?: { count: number; nextHop: string };
  logLevel?: 'warn' | 'error';
  /** Answer alloc-start/alloc-stop messages (bench/alloc-bench.ts). */
  allocProbe?: boolean;
  /** The durable default ledger (journal, fsync) in a temp dir; else the memory ledger. */
  durable?: boolean;
}

/** Ledger settings, and a temp dir for a durable ledger that is removed when the process exits. */
function ledgerSettings(durable: boolean): {
  ledgerDurability: 'off' | 'fsync';
  ledgerSnapshotPath?: string;
} {
  if (!durable) return { ledgerDurability: 'off' };
  const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { ledgerDurability: 'fsync', ledgerSnapshotPath: join(dir, 'snapshot.json') };
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<OursOptions>();
  if (opts.allocProbe === true) installAllocProbe();
  const level = opts.logLevel ?? 'warn';
  const node = new ConnectorNode(
    {
      nodeId: opts.nodeId,
      btpServerPort: 0,
      healthCheckPort: 0,
      environment: 'development',
      logLevel: level,
      peers: opts.peers,
      routes: opts.routes,
      settlement: ledgerSettings(opts.durable === true),
    },
    createLogger(opts.nodeId, level),
    { env: {} },
  );
  node.on('peer:connected', (id: string) => tell({ type: 'peer', id }));
  await node.start();
  const extra = opts.extraRoutes;
  if (extra !== undefined) {
    for (let i = 0; i < extra.count; i++) node.addRoute(`g.bench-${i}`, extra.nextHop);
  }
  tell({ type: 'listening', port: node.btpPort });
}

main().catch(die);
