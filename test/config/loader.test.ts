// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigLoader, MAX_CONFIG_FILE_BYTES } from '../../src/config/index.js';
import { ConfigurationError, ConnectorError } from '../../src/utils/errors.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/config.yaml', import.meta.url));

const MINIMAL = `nodeId: node-a
btpServerPort: 0
environment: development
peers: []
routes: []
`;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connector-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamlFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function readError(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConnectorError);
    assert.equal(err.code, 'ERR_CONFIG_READ');
    return err;
  }
  assert.fail('expected ERR_CONFIG_READ');
}

describe('ConfigLoader with YAML files', () => {
  it('validates examples/config.yaml', () => {
    const c = ConfigLoader.load(EXAMPLE, { env: {} });
    assert.equal(c.nodeId, 'connector-a');
    assert.equal(c.btpServerPort, 3000);
    assert.equal(c.healthCheckPort, 8080);
    assert.equal(c.environment, 'development');
    assert.deepEqual(c.peers, [
      { id: 'peer-b', url: 'ws://localhost:3001', authToken: '', relation: 'peer' },
    ]);
    assert.deepEqual(c.routes, [{ prefix: 'g.peer-b', nextHop: 'peer-b', priority: 0 }]);
    assert.equal(c.adminApi.enabled, false);
    assert.equal(c.localDelivery.enabled, false);
  });

  it('reads amounts above 2^53 exactly', async () => {
    const file = await yamlFile(
      'big.yaml',
      `${MINIMAL.replace('peers: []', '')}peers:
  - id: p
    maxPacketAmount: 18446744073709551615
    balance: { maximum: 9007199254740993, settleThreshold: 12 }
settlement:
  threshold: 9007199254740993
`,
    );
    const c = ConfigLoader.load(file, { env: {} });
    assert.equal(c.peers[0]?.maxPacketAmount, 18_446_744_073_709_551_615n);
    assert.equal(c.peers[0]?.balance?.maximum, 9_007_199_254_740_993n);
    assert.equal(c.peers[0]?.balance?.settleThreshold, 12n);
    assert.equal(c.settlement?.threshold, 9_007_199_254_740_993n);
  });

  it('reports a too-large YAML integer in a number field, and 2^64 as an amount', async () => {
    const file = await yamlFile(
      'too-big.yaml',
      MINIMAL.replace('btpServerPort: 0', 'btpServerPort: 99999999999999999999').replace(
        'peers: []',
        'peers: [{ id: p, maxPacketAmount: 18446744073709551616 }]',
      ),
    );
    const result = ConfigLoader.validate(file, { env: {} });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['btpServerPort', 'peers.0.maxPacketAmount'],
    );
    assert.ok(result.error instanceof ConfigurationError);
    assert.ok(result.error.message.includes(file), 'the message names the file');
  });

  it('substitutes ${VAR} in YAML values and applies env overrides', async () => {
    const file = await yamlFile(
      'vars.yaml',
      `${MINIMAL.replace('btpServerPort: 0', 'btpServerPort: ${BTP_PORT:-3000}')}adminApi:
  enabled: true
  apiKey: \${ADMIN_API_KEY}
`,
    );
    const c = ConfigLoader.load(file, { env: { ADMIN_API_KEY: 'k1', EXPLORER_ENABLED: 'false' } });
    assert.equal(c.btpServerPort, 3000);
    assert.equal(c.adminApi.apiKey, 'k1');
    assert.equal(c.explorer.enabled, false);
    const missing = ConfigLoader.validate(file, { env: {} });
    assert.deepEqual(missing.ok ? [] : missing.issues, [
      { path: 'adminApi.apiKey', message: 'environment variable ADMIN_API_KEY is not set' },
    ]);
  });

  it('resolves a relative path against baseDir', async () => {
    await yamlFile('relative.yaml', MINIMAL);
    assert.equal(ConfigLoader.load('relative.yaml', { env: {}, baseDir: dir }).nodeId, 'node-a');
  });

  it('names the file when it cannot be read', () => {
    const missing = join(dir, 'nope.yaml');
    const err = readError(() => ConfigLoader.load(missing, { env: {} }));
    assert.match(err.message, /nope\.yaml/);
    assert.match(err.message, /ENOENT/);
    const result = ConfigLoader.validate(missing, { env: {} });
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.error.code, 'ERR_CONFIG_READ');
  });

  it('reports YAML syntax errors with line and column', async () => {
    const file = await yamlFile('broken.yaml', 'nodeId: a\npeers: [1, 2\nroutes: []\n');
    const err = readError(() => ConfigLoader.load(file, { env: {} }));
    assert.match(err.message, /broken\.yaml: invalid YAML: line 3, column 1: /);
  });

  it('rejects duplicate keys', async () => {
    const file = await yamlFile('dup.yaml', `${MINIMAL}nodeId: again\n`);
    assert.match(
      readError(() => ConfigLoader.load(file, { env: {} })).message,
      /line 6, column 1: Map keys must be unique/,
    );
  });

  it('refuses alias bombs and recursive aliases', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(', ')}]`,
      );
    }
    const bombFile = await yamlFile('bomb.yaml', `${bomb.join('\n')}\n`);
    readError(() => ConfigLoader.load(bombFile, { env: {} }));
    const cyclic = await yamlFile('cyclic.yaml', `${MINIMAL}performance: &p { self: *p }\n`);
    const result = ConfigLoader.validate(cyclic, { env: {} });
    assert.equal(result.ok, false);
  });

  it('refuses files larger than MAX_CONFIG_FILE_BYTES', async () => {
    const file = await yamlFile('huge.yaml', `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n${MINIMAL}`);
    assert.match(readError(() => ConfigLoader.load(file, { env: {} })).message, /larger than/);
  });

  it('reports an empty file as a config with every required field missing', async () => {
    const file = await yamlFile('empty.yaml', '');
    const result = ConfigLoader.validate(file, { env: {} });
    assert.equal(result.ok, false);
  });
});
