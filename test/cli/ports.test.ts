/**
 * Two nodes on one host: `connector start` on a port another process holds exits 1 with one line
 * naming the port, its setting and (where the spec has one) its environment variable; no stack.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const dir = mkdtempSync(join(tmpdir(), 'cli-ports-'));

async function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', LEDGER_SNAPSHOT_PATH: join(dir, 'data', 'snap.json'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

function config(name: string, ports: { btp: number; health: number; admin: number; explorer: number }) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `nodeId: ${name}`,
      `btpServerPort: ${ports.btp}`,
      `healthCheckPort: ${ports.health}`,
      'environment: development',
      'peers: []',
      'routes: []',
      'adminApi:',
      '  enabled: true',
      `  port: ${ports.admin}`,
      'explorer:',
      '  enabled: true',
      `  port: ${ports.explorer}`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('connector start on a port in use', () => {
  let blocker: Server;
  let taken = 0;

  before(async () => {
    blocker = createServer();
    blocker.listen(0, '0.0.0.0');
    await once(blocker, 'listening');
    const address = blocker.address();
    taken = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    {
      setting: 'btpServerPort',
      env: undefined,
      ports: (p: number) => ({ btp: p, health: 0, admin: 0, explorer: 0 }),
    },
    {
      setting: 'healthCheckPort',
      env: undefined,
      ports: (p: number) => ({ btp: 0, health: p, admin: 0, explorer: 0 }),
    },
    {
      setting: 'adminApi.port',
      env: undefined,
      ports: (p: number) => ({ btp: 0, health: 0, admin: p, explorer: 0 }),
    },
    {
      setting: 'explorer.port',
      env: 'EXPLORER_PORT',
      ports: (p: number) => ({ btp: 0, health: 0, admin: 0, explorer: p }),
    },
  ];

  for (const c of cases) {
    it(`names ${c.setting}${c.env === undefined ? '' : ` and ${c.env}`} in one line, no stack`, async () => {
      const file = config(c.setting.replace('.', '-'), c.ports(taken));
      const res = await run(['start', '-c', file]);
      assert.equal(res.status, 1, res.stdout + res.stderr);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.ok(lines[0]?.includes(`port ${taken} is already in use`), res.stderr);
      assert.ok(lines[0]?.includes(`set ${c.setting}`), res.stderr);
      if (c.env !== undefined) assert.ok(lines[0]?.includes(c.env), res.stderr);
      assert.doesNotMatch(res.stderr + res.stdout, /^\s+at /m);
      assert.doesNotMatch(res.stdout, /"stack"/);
    });
  }

  it('EXPLORER_PORT set to a taken port is named the same way', async () => {
    const file = config('explorer-env', { btp: 0, health: 0, admin: 0, explorer: 0 });
    const res = await run(['start', '-c', file], { EXPLORER_PORT: String(taken) });
    assert.equal(res.status, 1, res.stdout + res.stderr);
    assert.match(
      res.stderr.trim(),
      new RegExp(`^port ${taken} is already in use: set explorer\\.port \\(or EXPLORER_PORT\\)`),
    );
  });
});
