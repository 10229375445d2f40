// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigLoader, type ConnectorConfig, parsePeerConfig } from '../../src/config/index.js';
import { ConfigurationError } from '../../src/utils/errors.js';
import { base, load, NO_ENV } from './helpers.js';

describe('config schema: the spec sample', () => {
  it('accepts the programmatic ConnectorConfig from the README unchanged', () => {
    // Typed as the spec types it: this line is also a compile-time check of ConnectorConfig.
    const config: ConnectorConfig = {
      nodeId: 'connector-a',
      btpServerPort: 4000,
      healthCheckPort: 8080,
      deploymentMode: 'embedded',
      adminApi: { enabled: false },
      localDelivery: { enabled: false },
      peers: [],
      routes: [],
      environment: 'production',
    };
    const resolved = ConfigLoader.load(config, NO_ENV);
    assert.equal(resolved.nodeId, 'connector-a');
    assert.equal(resolved.deploymentMode, 'embedded');
    assert.equal(resolved.environment, 'production');
  });

  it('accepts the README blockchain sample', () => {
    const config: ConnectorConfig = {
      ...(base() as unknown as ConnectorConfig),
      blockchain: {
        base: { enabled: true, rpcUrl: 'https://mainnet.base.org', chainId: 8453 },
        arbitrum: { enabled: true, rpcUrl: 'https://arb1.arbitrum.io/rpc', chainId: 42161 },
      },
    };
    assert.equal(ConfigLoader.load(config, NO_ENV).blockchain?.arbitrum?.chainId, 42161);
  });
});

describe('config schema: types', () => {
  it('accepts a ResolvedConfig wherever a ConnectorConfig goes, and returns it unchanged', () => {
    const resolved = ConfigLoader.load(base({ peers: [{ id: 'p', authToken: 'a$${X}' }] }) as never, NO_ENV);
    const handedOn: ConnectorConfig = resolved; // compile-time check: frozen arrays are accepted
    assert.equal(ConfigLoader.load(handedOn, { env: { EXPLORER_PORT: '1' } }), resolved);
    assert.equal(resolved.peers[0]?.authToken, 'a${X}', 'not substituted a second time');
  });

  it('lets a partial config be spread into a full one', () => {
    const extra: Partial<ConnectorConfig> = { healthCheckPort: 0, peers: [{ id: 'p' }] };
    const config: ConnectorConfig = {
      nodeId: 'n',
      btpServerPort: 0,
      environment: 'staging',
      peers: [],
      routes: [],
      ...extra,
    };
    assert.equal(ConfigLoader.load(config, NO_ENV).peers.length, 1);
  });
});

describe('config schema: defaults', () => {
  it('fills every default and leaves the optional fields unset', () => {
    const c = load(base());
    assert.equal(c.healthCheckPort, 8080);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.mode, 'connector');
    assert.equal(c.deploymentMode, undefined);
    assert.equal(c.ilpAddress, undefined);
    assert.deepEqual(c.asset, { code: 'USD', scale: 9 });
    assert.deepEqual(c.adminApi, { enabled: false, port: 8081, trustProxy: false });
    assert.deepEqual(c.localDelivery, { enabled: false, timeout: 5000, perHopNotification: false });
    assert.deepEqual(c.explorer, { enabled: true, port: 3001, retentionDays: 7, maxEvents: 1_000_000 });
    assert.deepEqual(c.packet, { minMessageWindowMs: 1000, maxHoldTimeMs: 30_000 });
    assert.deepEqual(c.btp, {
      maxFrameBytes: 262_144,
      maxInFlightPerLink: 10_000,
      requestTimeoutMs: 35_000,
      authTimeoutMs: 5000,
      keepaliveIntervalMs: 20_000,
      reconnectMinMs: 100,
      reconnectMaxMs: 30_000,
      maxSocketsPerPeer: 8,
      closeTimeoutMs: 2000,
      maxUnauthenticatedSockets: 4096,
      maxBufferedBytes: 16_777_216,
      authAttemptsPerAddress: 20,
      authAttemptRefillMs: 1000,
      connectWaitMs: 5000,
      admission: {
        mode: 'closed',
        maxAgents: 1000,
        idleEvictMs: 300_000,
        rateLimit: { packetsPerSecond: 100, burst: 100 },
        maximum: 0n,
        maxRememberedAgents: 100_000,
        reservedUsernames: [],
        timeoutMs: 5000,
      },
    });
    for (const key of ['settlement', 'settlementInfra', 'blockchain', 'security', 'performance'] as const) {
      assert.equal(c[key], undefined, key);
    }
  });

  it('fills peer and route defaults', () => {
    const c = load(
      base({
        peers: [{ id: 'p', balance: {}, rateLimit: { packetsPerSecond: 2.5 }, routes: [{ prefix: 'g.p' }] }],
        routes: [{ prefix: 'g.p', nextHop: 'p' }],
      }),
    );
    const peer = c.peers[0];
    assert.equal(peer?.authToken, '');
    assert.equal(peer?.relation, 'peer');
    assert.equal(peer?.url, undefined);
    assert.deepEqual(peer?.balance, { settleTo: 0n });
    assert.deepEqual(peer?.rateLimit, { packetsPerSecond: 2.5, burst: 3 });
    assert.deepEqual(peer?.routes, [{ prefix: 'g.p', priority: 0 }]);
    assert.deepEqual(c.routes, [{ prefix: 'g.p', nextHop: 'p', priority: 0 }]);
  });

  it('fills chain defaults and accepts any chain key', () => {
    const c = load(base({ blockchain: { polygon: { rpcUrl: 'https://polygon-rpc.com', chainId: 137 } } }));
    assert.deepEqual(c.blockchain?.polygon, {
      enabled: true,
      rpcUrl: 'https://polygon-rpc.com',
      chainId: 137,
    });
  });

  it('returns a deep-frozen result', () => {
    const c = load(
      base({ peers: [{ id: 'p', routes: [{ prefix: 'g.p' }] }], performance: { pool: { size: 2 } } }),
    );
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.peers));
    assert.ok(Object.isFrozen(c.peers[0]?.routes?.[0]));
    assert.ok(Object.isFrozen((c.performance as { pool: object }).pool));
    assert.throws(() => {
      (c as { nodeId: string }).nodeId = 'x';
    }, TypeError);
  });

  it('does not modify or freeze the object it was given', () => {
    const input = base({ adminApi: { enabled: false } });
    load(input);
    assert.equal(Object.isFrozen(input), false);
    assert.deepEqual(input.adminApi, { enabled: false });
  });
});

describe('parsePeerConfig', () => {
  it('validates one peer for runtime registration', () => {
    const peer = parsePeerConfig({
      id: 'connector-b',
      url: 'ws://localhost:4001',
      routes: [{ prefix: 'g.connector-b' }],
    });
    assert.equal(peer.authToken, '');
    assert.ok(Object.isFrozen(peer));
    assert.throws(
      () => parsePeerConfig({ id: 'x y', url: 'ftp://h' }),
      (e: unknown) => e instanceof ConfigurationError && e.issues.map((i) => i.path).join() === 'id,url',
    );
  });
});
