/**
 * The spec: TigerBeetle "falls back to in-memory if connection fails". A `connector start` whose
 * TigerBeetle cluster does not answer (a closed loopback port: no server can run here) logs the
 * failure loudly, keeps its books in the default ledger, and serves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { CliNode } from '../helpers/cli-node.js';
import { freePort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-fallback-'));
let node: CliNode | undefined;
after(async () => {
  node?.kill();
  await node?.exited();
  rmSync(dir, { recursive: true, force: true });
});

it('an unreachable TigerBeetle cluster: loud error, default ledger, node serves', async () => {
  const closedPort = await freePort();
  const file = CliNode.write(
    dir,
    'tb',
    [
      'nodeId: tb',
      'btpServerPort: 0',
      'healthCheckPort: 0',
      'environment: development',
      'peers: []',
      'routes: []',
      'settlement:',
      '  tigerBeetleClusterId: 0',
      `  tigerBeetleReplicas: ['127.0.0.1:${closedPort}']`,
      '  tigerBeetleConnectTimeoutMs: 500',
      `  ledgerSnapshotPath: ${join(dir, 'ledger', 'snapshot.json')}`,
      '',
    ].join('\n'),
  );
  node = new CliNode(file);
  const loud = await node.waitForLog((l) => String(l.msg).startsWith('TIGERBEETLE UNREACHABLE'));
  assert.equal(loud.level, 50, 'logged at error');
  assert.equal(loud.fallback, 'journal');
  await node.started();
  const health = await fetch(`http://127.0.0.1:${node.healthPort}/health`);
  assert.equal(health.status, 200);
  assert.equal(await node.stop(), 0);
});
