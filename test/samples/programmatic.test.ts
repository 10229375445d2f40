/**
 * The README's programmatic sample, unchanged but for ports: 0 (ephemeral) instead of 4000 and
 * 8080, and peer connector-b's url pointing at a real connector-b started by the test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { ConnectorConfig } from '@toon-protocol/connector';
import { ConnectorNode } from '@toon-protocol/connector';
import pino from 'pino';
import { baseConfig, makeNode } from '../helpers/nodes.js';

let peerB: ConnectorNode;
const seenAtB: string[] = [];

before(async () => {
  peerB = makeNode(baseConfig('connector-b', { peers: [{ id: 'connector-a', authToken: '' }] }));
  peerB.setPacketHandler(async (request) => {
    seenAtB.push(request.destination);
    return { accept: true };
  });
  await peerB.start();
});
// The sample keeps the default durable ledger and Explorer; their files go to a temp dir, not the
// repo (the Explorer's store sits beside the snapshot), and the Explorer takes a free port.
const dir = mkdtempSync(join(tmpdir(), 'programmatic-'));
const savedPath = process.env.LEDGER_SNAPSHOT_PATH;
const savedExplorerPort = process.env.EXPLORER_PORT;
process.env.LEDGER_SNAPSHOT_PATH = join(dir, 'ledger-snapshot.json');
process.env.EXPLORER_PORT = '0';
after(async () => {
  await peerB.stop();
  if (savedPath === undefined) delete process.env.LEDGER_SNAPSHOT_PATH;
  else process.env.LEDGER_SNAPSHOT_PATH = savedPath;
  if (savedExplorerPort === undefined) delete process.env.EXPLORER_PORT;
  else process.env.EXPLORER_PORT = savedExplorerPort;
  rmSync(dir, { recursive: true, force: true });
});

it('programmatic sample runs', async () => {
  const portOfB = peerB.btpPort;
  // ── sample (verbatim, ports aside) ──
  const config: ConnectorConfig = {
    nodeId: 'connector-a',
    btpServerPort: 0,
    healthCheckPort: 0,
    deploymentMode: 'embedded',
    adminApi: { enabled: false },
    localDelivery: { enabled: false },
    peers: [],
    routes: [],
    environment: 'production',
  };

  const node = new ConnectorNode(config, pino({ name: 'connector-a' }));

  node.setPacketHandler(async (request) => {
    if (request.isTransit) {
      // Transit notification (fire-and-forget at intermediate hops)
      console.log(`Transit: ${request.amount} tokens → ${request.destination}`);
      return { accept: true };
    }
    // Final-hop delivery
    console.log(`Delivery: ${request.amount} tokens from ${request.sourcePeer}`);
    return { accept: true };
  });

  await node.start();

  // Register peers dynamically at runtime
  await node.registerPeer({
    id: 'connector-b',
    url: `ws://localhost:${portOfB}`,
    authToken: '',
    routes: [{ prefix: 'g.connector-b' }],
    evmAddress: '0xConnectorBAddress...', // peer's EVM settlement address
  });

  // Send a packet
  const first = await node.sendPacket({
    destination: 'g.connector-b.agent',
    amount: 1000n,
    executionCondition: Buffer.alloc(32),
    expiresAt: new Date(Date.now() + 30000),
    data: Buffer.from('Hello'),
  });
  // ── end of sample ──

  // registerPeer resolved once the link was up, so the very next line reached connector-b:
  // its handler accepts, but a zero condition is not data-derived, so it is refused with F99
  // (not T01, the link not being up yet).
  assert.equal(node.listPeers().find((p) => p.id === 'connector-b')?.connected, true);
  assert.equal(first.type, 14);
  if (first.type === 14) assert.equal(first.code, 'F99');
  assert.ok(seenAtB.includes('g.connector-b.agent'));
  assert.deepEqual(
    node.listRoutes().find((r) => r.prefix === 'g.connector-b'),
    { prefix: 'g.connector-b', nextHop: 'connector-b', priority: 0 },
  );
  await node.stop();
});
