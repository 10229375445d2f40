/**
 * Node under test: our ConnectorNode in its own process, BTP and health on ephemeral ports, logging
 * at warn. Tells the orchestrator its BTP port and every peer that authenticates.
 *
 *   node dist/bench/targets/ours.js '{"nodeId":"n1","peers":[{"id":"sender","authToken":"s"}],"routes":[]}'
 */
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
