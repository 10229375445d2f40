import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/utils/errors.js';
import { base, issuesOf, load, pathsOf } from './helpers.js';

describe('config schema: values', () => {
  it('accepts port 0 (ephemeral) and rejects ports out of range', () => {
    assert.equal(load(base({ healthCheckPort: 0 })).healthCheckPort, 0);
    assert.deepEqual(pathsOf(base({ btpServerPort: 65_536, healthCheckPort: -1 })), [
      'btpServerPort',
      'healthCheckPort',
    ]);
    assert.deepEqual(pathsOf(base({ btpServerPort: 1.5 })), ['btpServerPort']);
  });

  it('validates nodeId and ilpAddress per RFC 15', () => {
    assert.equal(load(base({ ilpAddress: 'test.node-a~1_x' })).ilpAddress, 'test.node-a~1_x');
    for (const ilpAddress of ['g', 'x.node', 'g..a', 'g.a b', `g.${'a'.repeat(1022)}`, '']) {
      assert.deepEqual(pathsOf(base({ ilpAddress })), ['ilpAddress'], ilpAddress.slice(0, 20));
    }
    assert.deepEqual(pathsOf(base({ nodeId: 'a.b' })), ['nodeId']);
    assert.deepEqual(pathsOf(base({ nodeId: '' })), ['nodeId']);
  });

  it('checks peer urls, EVM addresses and relations', () => {
    const peers = ['ws://h:1', 'wss://h', 'btp+ws://u:t@h:1', 'btp+wss://h'].map((url, i) => ({
      id: `p${i}`,
      url,
    }));
    assert.equal(load(base({ peers })).peers.length, 4);
    const bad = [
      { id: 'a', url: 'http://h:1' },
      { id: 'b', url: 'not a url' },
      { id: 'c', evmAddress: '0xConnectorBAddress...' },
      { id: 'd', relation: 'parent' },
      { id: 'e', relation: 'parent' },
    ];
    assert.deepEqual(pathsOf(base({ peers: bad })), [
      'peers.0.url',
      'peers.1.url',
      'peers.2.evmAddress',
      'peers.4.relation',
    ]);
  });

  it('validates adminApi.allowedIPs entries as IPs or CIDRs', () => {
    const ok = ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'];
    assert.deepEqual(load(base({ adminApi: { allowedIPs: ok } })).adminApi.allowedIPs, ok);
    const bad = ['10.0.0.0/33', 'localhost', '1.2.3.4/8/1', '::/129'];
    assert.deepEqual(
      pathsOf(base({ adminApi: { allowedIPs: bad } })),
      [0, 1, 2, 3].map((i) => `adminApi.allowedIPs.${i}`),
    );
  });

  it('coerces decimal strings in integer and boolean fields (text from a variable)', () => {
    const c = load(base({ btpServerPort: '3000', adminApi: { enabled: 'true', port: '9000' } }));
    assert.equal(c.btpServerPort, 3000);
    assert.equal(c.adminApi.enabled, true);
    assert.equal(c.adminApi.port, 9000);
    assert.deepEqual(pathsOf(base({ btpServerPort: '3000x', adminApi: { enabled: 'yes' } })), [
      'btpServerPort',
      'adminApi.enabled',
    ]);
  });

  it('checks relations between limits', () => {
    const input = base({
      packet: { minMessageWindowMs: 5000, maxHoldTimeMs: 1000 },
      btp: { reconnectMinMs: 500, reconnectMaxMs: 100, maxFrameBytes: 1024 },
      peers: [{ id: 'p', balance: { settleThreshold: 10, settleTo: 11 } }],
    });
    assert.deepEqual(pathsOf(input).sort(), [
      'btp.maxFrameBytes',
      'btp.reconnectMinMs',
      'packet.minMessageWindowMs',
      'peers.0.balance.settleTo',
    ]);
    assert.deepEqual(pathsOf(base({ btp: { reconnectMinMs: 500, reconnectMaxMs: 100 } })), [
      'btp.reconnectMinMs',
    ]);
  });

  it('requires an admin API key or allowlist in production', () => {
    const prod = (adminApi: object) =>
      base({ environment: 'production', adminApi: { enabled: true, ...adminApi } });
    assert.deepEqual(pathsOf(prod({})), ['adminApi.apiKey']);
    assert.equal(load(prod({ apiKey: 'k' })).adminApi.apiKey, 'k');
    assert.deepEqual(load(prod({ allowedIPs: ['10.0.0.1'] })).adminApi.allowedIPs, ['10.0.0.1']);
    assert.equal(load(base({ adminApi: { enabled: true } })).adminApi.enabled, true);
  });

  it('requires a handler URL for local delivery in standalone mode', () => {
    const standalone = (ld: object) =>
      base({ deploymentMode: 'standalone', localDelivery: { enabled: true, ...ld } });
    assert.deepEqual(pathsOf(standalone({})), ['localDelivery.handlerUrl']);
    assert.equal(
      load(standalone({ handlerUrl: 'http://bls:3100' })).localDelivery.handlerUrl,
      'http://bls:3100',
    );
  });

  it('requires a key for an Explorer bound beyond loopback (explorer.apiKey or the admin key)', () => {
    const open = (explorer: object, adminApi: object = {}) => base({ explorer, adminApi });
    assert.deepEqual(pathsOf(open({ host: '0.0.0.0' })), ['explorer.apiKey']);
    assert.deepEqual(pathsOf(open({ host: '192.0.2.7', apiKey: '' })), ['explorer.apiKey']);
    assert.equal(load(open({ host: '0.0.0.0', apiKey: 'k' })).explorer.apiKey, 'k');
    assert.equal(load(open({ host: '0.0.0.0' }, { apiKey: 'admin' })).explorer.host, '0.0.0.0');
    for (const host of ['127.0.0.1', '::1', 'localhost', 'LOCALHOST'])
      assert.equal(load(open({ host })).explorer.host, host);
    assert.equal(load(open({ host: '0.0.0.0', enabled: false })).explorer.enabled, false);
  });
});

describe('config schema: errors', () => {
  it('reports every mistake with its path, not just the first', () => {
    const input = base({
      btpServerPort: 70_000,
      environment: 'prod',
      peers: [{ id: 'p', url: 'http://x' }],
      routes: [{ prefix: 'g.p', nextHop: 'nobody' }],
      healthcheckPort: 8080,
    });
    assert.deepEqual(pathsOf(input).sort(), [
      'btpServerPort',
      'environment',
      'healthcheckPort',
      'peers.0.url',
      'routes.0.nextHop',
    ]);
  });

  it('throws a ConfigurationError whose message lists every issue', () => {
    const err = (() => {
      try {
        load(base({ nodeId: 'bad id', routes: [{ prefix: 'g.x', nextHop: 'x' }] }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigurationError);
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    assert.match(err.message, /- nodeId: /);
    assert.match(err.message, /- routes\.0\.nextHop: "x" is neither a configured peer id/);
  });

  it('says "is required" for missing required fields', () => {
    const issues = issuesOf({ environment: 'development' });
    assert.deepEqual(
      issues.map((i) => `${i.path}: ${i.message}`),
      ['nodeId: is required', 'btpServerPort: is required'],
    );
  });

  it('defaults peers and routes to [] (an empty network is a valid start)', () => {
    const config = load({ nodeId: 'a', btpServerPort: 0, environment: 'development' });
    assert.deepEqual(config.peers, []);
    assert.deepEqual(config.routes, []);
  });

  it('rejects a non-object config', () => {
    assert.deepEqual(pathsOf(null), ['']);
    assert.deepEqual(pathsOf([]), ['']);
  });

  it('rejects unknown keys with a suggestion, at the top level and in strict sections', () => {
    const issues = issuesOf(
      base({ healthcheckport: 1, adminApi: { apikey: 'k' }, peers: [{ id: 'p', urll: 'x' }] }),
    );
    assert.deepEqual(issues.map((i) => `${i.path}: ${i.message}`).sort(), [
      'adminApi.apikey: unknown key "apikey" (did you mean "apiKey"?)',
      'healthcheckport: unknown key "healthcheckport" (did you mean "healthCheckPort"?)',
      'peers.0.urll: unknown key "urll" (did you mean "url"?)',
    ]);
    assert.match(issuesOf(base({ zzz: 1 }))[0]?.message ?? '', /unknown key "zzz" \(known keys: nodeId, /);
  });

  it('keeps unknown keys inside the passthrough sections', () => {
    const c = load(
      base({
        settlement: { enabled: true, futureKnob: 1 },
        settlementInfra: { networkMode: 'testnet', extra: 'x' },
        security: {
          keyBackend: 'aws-kms',
          awsKms: { keyId: 'alias/settlement', region: 'eu-west-1' },
          kmsKeyId: 'arn:aws:kms:...',
        },
        performance: { batchSize: 64 },
      }),
    );
    assert.equal((c.settlement as Record<string, unknown>).futureKnob, 1);
    assert.equal((c.security as Record<string, unknown>).kmsKeyId, 'arn:aws:kms:...');
    assert.deepEqual(c.performance, { batchSize: 64 });
  });

  it('reports duplicate peer ids, a peer named like the node, and duplicate routes', () => {
    const input = base({
      peers: [{ id: 'p' }, { id: 'q' }, { id: 'p' }, { id: 'node-a' }],
      routes: [
        { prefix: 'g.p', nextHop: 'p' },
        { prefix: 'g.p', nextHop: 'p', priority: 3 },
      ],
    });
    assert.deepEqual(
      issuesOf(input).map((i) => `${i.path}: ${i.message}`),
      [
        'peers.2.id: duplicate peer id "p" (also peers.0.id)',
        'peers.3.id: must differ from nodeId "node-a"',
        'routes.1: same prefix and nextHop as routes.0',
      ],
    );
  });

  it('accepts routes to a configured peer or to the node itself, and the default route', () => {
    const routes = [
      { prefix: '', nextHop: 'p' },
      { prefix: 'g.node-a', nextHop: 'node-a' },
      { prefix: 'test', nextHop: 'p', priority: -5 },
    ];
    assert.equal(load(base({ peers: [{ id: 'p' }], routes })).routes.length, 3);
    assert.deepEqual(pathsOf(base({ routes: [{ prefix: 'g.x', nextHop: 'ghost' }] })), ['routes.0.nextHop']);
    assert.deepEqual(pathsOf(base({ peers: [{ id: 'p' }], routes: [{ prefix: 'g.', nextHop: 'p' }] })), [
      'routes.0.prefix',
    ]);
  });
});
