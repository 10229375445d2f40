/**
 * The spec's text tried as a newcomer tries it (issue 17): the standalone YAML validates as
 * written, `validateIlpSendRequest` is exported, `keyBackend: aws-kms` alone names what the
 * backend needs, `npm run test:acceptance` exists and names real suites, no installed package
 * excludes the running Node, registerPeer's wait is bounded, two nodes started from one directory
 * are told what to set, and Ctrl-C (SIGINT to npm) on `npm start` stops the node.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigLoader, validateIlpSendRequest } from '@toon-protocol/connector';
import { baseConfig, makeNode } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'connector.js');
const dir = mkdtempSync(join(tmpdir(), 'newcomer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

/** The spec's "Standalone Mode" YAML, verbatim. */
const STANDALONE_YAML = `nodeId: my-connector
btpServerPort: 3000
healthCheckPort: 8080
deploymentMode: standalone
environment: production

localDelivery:
  enabled: true
  handlerUrl: http://my-bls:3100
  timeout: 5000

adminApi:
  enabled: true
  port: 8081
  apiKey: \${ADMIN_API_KEY}

peers:
  - id: peer-b
    url: ws://peer-b:3001
    authToken: ''
`;

describe('the spec samples as a newcomer copies them', () => {
  it('the standalone YAML (no routes) is valid: routes and peers default to []', () => {
    const file = join(dir, 'standalone.yaml');
    writeFileSync(file, STANDALONE_YAML);
    const result = cli(['validate', file], { ADMIN_API_KEY: 'a-key' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /valid \(node my-connector, 1 peer\(s\), 0 route\(s\)/);
    const config = ConfigLoader.load(file, { env: { ADMIN_API_KEY: 'a-key' } });
    assert.deepEqual(config.routes, []);
  });

  it('validateIlpSendRequest is exported: null for a valid body, the problems otherwise', () => {
    assert.equal(
      validateIlpSendRequest({ destination: 'g.peer-b.agent', amount: '1000', data: 'aGVsbG8=' }),
      null,
    );
    const problems = validateIlpSendRequest({ destination: 'not an address', amount: '-1' });
    assert.match(problems ?? '', /destination must be an ILP address/);
    assert.match(problems ?? '', /amount must be a decimal string/);
    assert.equal(validateIlpSendRequest('nope'), 'body must be a JSON object');
  });

  it('security.keyBackend: aws-kms alone names what the backend needs', () => {
    const file = join(dir, 'kms.yaml');
    writeFileSync(
      file,
      'nodeId: a\nbtpServerPort: 0\nenvironment: development\nsecurity:\n  keyBackend: aws-kms\n',
    );
    const result = cli(['validate', file]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /security\.awsKms\.keyId: required when keyBackend is aws-kms \(AWS_KMS_KEY_ID\)/,
    );
    assert.match(result.stderr, /security\.awsKms\.region: .*AWS_REGION/);
  });

  it('npm run test:acceptance exists and each of its suites matches compiled test files', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts['test:acceptance'];
    assert.ok(script, 'package.json has a test:acceptance script');
    const filters = script.split('run-tests.mjs')[1]?.trim().split(/\s+/) ?? [];
    assert.ok(filters.length >= 6, script);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, name.name);
        if (name.isDirectory()) walk(path);
        else if (name.name.endsWith('.test.js')) files.push(path);
      }
    };
    walk(join('dist', 'test'));
    for (const filter of filters) {
      assert.ok(
        files.some((f) => f.includes(filter)),
        `${filter} matches no test file`,
      );
    }
    for (const suite of ['cli/', 'interop/', 'settlement/node-', 'explorer-ui/']) {
      assert.ok(
        filters.some((f) => f.includes(suite)),
        `the end-to-end suite ${suite} is run`,
      );
    }
  });
});

describe('engines', () => {
  const script = join(ROOT, 'scripts', 'check-engines.mjs');

  it('every installed package accepts the running Node (cookie@2 needed Node 22: overridden)', () => {
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', cwd: ROOT });
    assert.equal(result.status, 0, result.stderr);
  });

  it('the check fails on a package whose engines exclude the running Node', () => {
    const root = join(dir, 'engines');
    mkdirSync(join(root, 'node_modules', 'future'), { recursive: true });
    writeFileSync(
      join(root, 'package-lock.json'),
      JSON.stringify({ packages: { '': {}, 'node_modules/future': { version: '1.0.0' } } }),
    );
    writeFileSync(
      join(root, 'node_modules', 'future', 'package.json'),
      JSON.stringify({ name: 'future', version: '1.0.0', engines: { node: '>=99' } }),
    );
    const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8', cwd: ROOT });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /future@1\.0\.0: engines\.node ">=99"/);
  });
});

describe('registerPeer', () => {
  it('waits a bounded time for a peer that does not answer, then reports connected: false', async () => {
    const node = makeNode(baseConfig('lonely', { btp: { connectWaitMs: 200 } }));
    await node.start();
    try {
      const deadPort = await freePort();
      const started = Date.now();
      const info = await node.registerPeer({ id: 'ghost', url: `ws://127.0.0.1:${deadPort}` });
      assert.equal(info.connected, false);
      assert.ok(Date.now() - started >= 150, 'it waited');
    } finally {
      await node.stop();
    }
  });
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Pids of live processes whose command line contains `text` (Linux /proc). */
function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function collect(child: ChildProcess): { text: string } {
  const out = { text: '' };
  child.stdout?.on('data', (c: Buffer) => {
    out.text += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out.text += c.toString();
  });
  return out;
}

async function waitFor(check: () => boolean, child: ChildProcess, out: { text: string }): Promise<void> {
  while (!check()) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}):\n${out.text}`);
    await once(child.stdout!, 'data');
  }
}

describe('two nodes from one directory with default paths', () => {
  it('the second is refused with what to set (LEDGER_SNAPSHOT_PATH or a data directory per node)', async () => {
    const cwd = join(dir, 'shared');
    mkdirSync(cwd);
    const yaml = (id: string) =>
      `nodeId: ${id}\nbtpServerPort: 0\nhealthCheckPort: 0\nenvironment: development\nexplorer:\n  enabled: false\n`;
    writeFileSync(join(cwd, 'a.yaml'), yaml('node-a'));
    writeFileSync(join(cwd, 'b.yaml'), yaml('node-b'));
    const first = spawn(process.execPath, [BIN, 'start', '-c', 'a.yaml'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    const out = collect(first);
    try {
      await waitFor(() => out.text.includes('connector started'), first, out);
      const second = cli(['start', '-c', 'b.yaml'], {}, cwd);
      assert.equal(second.status, 1);
      assert.match(second.stderr, /is locked by process \d+/);
      assert.match(second.stderr, /LEDGER_SNAPSHOT_PATH/);
      assert.match(second.stderr, /data directory/);
    } finally {
      first.kill('SIGTERM');
      if (first.exitCode === null) await once(first, 'exit');
    }
  });
});

describe('npm start', () => {
  it('Ctrl-C (SIGINT to npm) stops the node: it runs in the foreground process', async () => {
    const healthPort = await freePort();
    const config = join(dir, 'npm-start.yaml');
    writeFileSync(
      config,
      `nodeId: npm-start\nbtpServerPort: 0\nhealthCheckPort: ${healthPort}\nenvironment: development\nexplorer:\n  enabled: false\n`,
    );
    // --ignore-scripts skips prestart (the build): the test runs from the built package.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--', '-c', config], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LEDGER_SNAPSHOT_PATH: join(dir, 'npm-start', 'ledger.json') },
    });
    const out = collect(npm);
    await waitFor(() => out.text.includes('connector started'), npm, out);
    assert.equal(await portOpen(healthPort), true);
    const exited = once(npm, 'exit');
    npm.kill('SIGINT');
    await exited;
    assert.deepEqual(processesWith(config), [], 'no process of that config is left');
    assert.equal(await portOpen(healthPort), false, 'the health port is closed');
    assert.equal(
      existsSync(join(dir, 'npm-start', 'ledger.json.lock')),
      false,
      'the ledger lock is released',
    );
  });
});
