/**
 * The CLI as an operator runs it: `connector start` with the README's example config (ports and
 * the peer's url moved to free loopback ports) answers /health, and stops cleanly on SIGTERM;
 * `connector validate` lists every problem; `connector health` reports.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, makeNode, waitConnected } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const dir = mkdtempSync(join(tmpdir(), 'cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('connector start', () => {
  let peerB: ConnectorNode;
  let child: ChildProcess;
  let healthPort: number;
  let output = '';

  before(async () => {
    peerB = makeNode(baseConfig('peer-b', { peers: [{ id: 'connector-a', authToken: '' }] }));
    await peerB.start();
    healthPort = await freePort();
    const btpPort = await freePort();
    const example = readFileSync(join(process.cwd(), 'examples', 'config.yaml'), 'utf8')
      .replace('btpServerPort: 3000', `btpServerPort: ${btpPort}`)
      .replace('healthCheckPort: 8080', `healthCheckPort: ${healthPort}`)
      .replace('ws://localhost:3001', `ws://127.0.0.1:${peerB.btpPort}`);
    const file = join(dir, 'config.yaml');
    writeFileSync(file, example);
    child = spawn(process.execPath, [BIN, 'start', '-c', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The Explorer on a free port; its store lands beside the ledger snapshot, in `dir`.
      env: { ...process.env, LEDGER_SNAPSHOT_PATH: join(dir, 'ledger', 'snapshot.json'), EXPLORER_PORT: '0' },
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitConnected(peerB, 'connector-a');
  });

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await peerB.stop();
  });

  it('answers /health, /health/live and /health/ready', async () => {
    const base = `http://127.0.0.1:${healthPort}`;
    let ready: Response | undefined;
    // The node marks the link up when peer-b's auth answer arrives, just after peer-b does.
    for (let i = 0; i < 100; i++) {
      ready = await fetch(`${base}/health/ready`);
      if (ready.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ready?.status, 200, output);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as {
      status: string;
      nodeId: string;
      peers: Array<{ id: string; connected: boolean }>;
    };
    assert.equal(body.status, 'healthy');
    assert.equal(body.nodeId, 'connector-a');
    assert.deepEqual(body.peers, [{ id: 'peer-b', connected: true, relation: 'peer' }]);
    assert.equal((await fetch(`${base}/health/live`)).status, 200);

    const cli = run(['health', '-u', base]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /"status":"healthy"/);
  });

  it('prints the Explorer URL, and the Explorer answers there from the store beside the ledger', async () => {
    const pattern = /Explorer: (http:\/\/127\.0\.0\.1:\d+\/)/;
    // Printed once start() has resolved: wait for the line, not for time.
    while (!pattern.test(output) && child.exitCode === null)
      await Promise.race([once(child.stderr!, 'data'), once(child, 'exit')]);
    const url = pattern.exec(output)?.[1];
    assert.ok(url, output);
    const health = await fetch(`${url}api/health`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { store: { state: string; path: string } };
    assert.equal(body.store.state, 'open');
    assert.equal(body.store.path, join(dir, 'ledger', 'events.db'));
    const node = (await (await fetch(`${url}api/node`)).json()) as { nodeId: string };
    assert.equal(node.nodeId, 'connector-a');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output);
    assert.match(output, /connector stopped/);
  });
});

describe('connector start refuses an unsafe production config', () => {
  it('exits 1 naming adminApi.apiKey when the admin API has neither a key nor an allowlist', () => {
    const file = join(dir, 'prod.yaml');
    writeFileSync(
      file,
      [
        'nodeId: prod',
        'btpServerPort: 0',
        'healthCheckPort: 0',
        'environment: production',
        'peers: []',
        'routes: []',
        'adminApi:',
        '  enabled: true',
        '  port: 0',
        '',
      ].join('\n'),
    );
    const res = run(['start', '-c', file]);
    assert.equal(res.status, 1, res.stdout);
    assert.match(res.stderr, /adminApi\.apiKey: required in production/);
  });
});

describe('connector validate', () => {
  it('accepts the example config', () => {
    const res = run(['validate', join(process.cwd(), 'examples', 'config.yaml')]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /valid/);
  });

  it('lists every problem with its path', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'nodeId: "bad id"',
        'btpServerPort: 70000',
        'environment: prod',
        'peers:',
        '  - id: x',
        '    url: http://nope',
        'routes:',
        '  - prefix: g.y',
        '    nextHop: ghost',
        '',
      ].join('\n'),
    );
    const res = run(['validate', file]);
    assert.equal(res.status, 1);
    for (const path of ['nodeId', 'btpServerPort', 'environment', 'peers.0.url', 'routes.0.nextHop']) {
      assert.match(
        res.stderr,
        new RegExp(`- ${path.replace('.', '\\.')}:`),
        `missing ${path} in:\n${res.stderr}`,
      );
    }
  });

  it('lists every missing part of a settlement config', () => {
    const file = join(dir, 'settle.yaml');
    writeFileSync(
      file,
      [
        'nodeId: a',
        'btpServerPort: 0',
        'environment: development',
        'peers:',
        '  - id: b',
        '    settlementChain: optimism',
        'routes: []',
        'blockchain:',
        '  base:',
        '    rpcUrl: http://127.0.0.1:8545',
        '    chainId: 8453',
        '',
      ].join('\n'),
    );
    const res = run(['validate', file]);
    assert.equal(res.status, 1, res.stdout);
    for (const path of [
      'settlementInfra.privateKey',
      'blockchain.base.tokenAddress',
      'blockchain.base.registryAddress',
      'peers.0.settlementChain',
    ]) {
      assert.match(
        res.stderr,
        new RegExp(`- ${path.replaceAll('.', '\\.')}:`),
        `missing ${path} in:\n${res.stderr}`,
      );
    }
  });

  it('names an unreadable file', () => {
    const res = run(['validate', join(dir, 'missing.yaml')]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /missing\.yaml/);
  });
});

describe('connector health', () => {
  it('fails when nothing answers', async () => {
    const port = await freePort();
    const res = run(['health', '-u', `http://127.0.0.1:${port}`, '-t', '2000']);
    assert.equal(res.status, 1);
  });
});
