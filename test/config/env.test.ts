// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allowNoAuth,
  ConfigLoader,
  ENV_OVERRIDES,
  type Env,
  peerSecretEnvName,
  type ResolvedConfig,
  resolvePeerSecret,
} from '../../src/config/index.js';

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { nodeId: 'n', btpServerPort: 0, peers: [], routes: [], environment: 'development', ...extra };
}

function load(input: unknown, env: Env): ResolvedConfig {
  return ConfigLoader.parseConfigObject(input, { env });
}

function issues(input: unknown, env: Env): string[] {
  const result = ConfigLoader.validate(input as never, { env });
  assert.equal(result.ok, false, 'expected the config to be rejected');
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('${VAR} substitution', () => {
  it('substitutes in every string value, nested in objects and arrays', () => {
    const c = load(
      base({
        nodeId: '${NODE}',
        btpServerPort: '${PORT}',
        peers: [{ id: 'p', url: 'ws://${HOST}:${PEER_PORT}', authToken: '${TOKEN}' }],
        adminApi: { allowedIPs: ['${IP}'] },
      }),
      { NODE: 'node-x', PORT: '3000', HOST: 'peer-b', PEER_PORT: '3001', TOKEN: 's3cret', IP: '10.0.0.1' },
    );
    assert.equal(c.nodeId, 'node-x');
    assert.equal(c.btpServerPort, 3000);
    assert.equal(c.peers[0]?.url, 'ws://peer-b:3001');
    assert.equal(c.peers[0]?.authToken, 's3cret');
    assert.deepEqual(c.adminApi.allowedIPs, ['10.0.0.1']);
  });

  it('uses ${VAR:-default} when the variable is unset or empty', () => {
    const input = base({
      logLevel: '${LEVEL:-debug}',
      adminApi: { port: '${ADMIN_PORT:-9000}', host: '${H:-}x' },
    });
    assert.equal(load(input, {}).logLevel, 'debug');
    assert.equal(load(input, { LEVEL: '' }).logLevel, 'debug');
    assert.equal(load(input, { LEVEL: 'warn' }).logLevel, 'warn');
    assert.equal(load(input, {}).adminApi.port, 9000);
    assert.equal(load(input, {}).adminApi.host, 'x');
  });

  it('lists every unset variable with its path and does not repeat it as a schema error', () => {
    const input = base({
      btpServerPort: '${PORT}',
      adminApi: { apiKey: '${ADMIN_API_KEY}' },
      nodeId: '${A}${B}',
    });
    assert.deepEqual(issues(input, { A: 'a' }), [
      'nodeId: environment variable B is not set',
      'btpServerPort: environment variable PORT is not set',
      'adminApi.apiKey: environment variable ADMIN_API_KEY is not set',
    ]);
  });

  it('keeps $${ as a literal ${ and leaves a lone $ alone', () => {
    const c = load(base({ peers: [{ id: 'p', authToken: 'a$${NOT_A_VAR}b$c$' }] }), {});
    assert.equal(c.peers[0]?.authToken, 'a${NOT_A_VAR}b$c$');
  });

  it('reports malformed references', () => {
    assert.deepEqual(issues(base({ adminApi: { host: 'x${OPEN' } }), {}), [
      'adminApi.host: unterminated ${ (write $${ for a literal ${)',
    ]);
    assert.deepEqual(issues(base({ adminApi: { host: '${1BAD}' } }), {}), [
      'adminApi.host: invalid reference ${1BAD}: expected ${NAME} or ${NAME:-default}',
    ]);
  });

  it('does not expand references inside substituted values', () => {
    const c = load(base({ peers: [{ id: 'p', authToken: '${T}' }] }), { T: '${SECRET}', SECRET: 'leak' });
    assert.equal(c.peers[0]?.authToken, '${SECRET}');
  });

  it('refuses a cyclic object instead of recursing forever', () => {
    const performance: Record<string, unknown> = {};
    performance.self = performance;
    assert.match(issues(base({ performance }), {})[0] ?? '', /nested deeper than 32 levels/);
  });
});

describe('env overrides', () => {
  it('applies every documented variable to its field', () => {
    const env: Env = {
      LOG_LEVEL: 'DEBUG',
      ADMIN_API_KEY: 'key',
      ADMIN_API_ALLOWED_IPS: '10.0.0.0/8, 127.0.0.1,',
      ADMIN_API_TRUST_PROXY: 'true',
      LOCAL_DELIVERY_AUTH_TOKEN: 'bls-token',
      EXPLORER_ENABLED: 'false',
      EXPLORER_PORT: '4001',
      EXPLORER_RETENTION_DAYS: '30',
      EXPLORER_MAX_EVENTS: '500',
      EXPLORER_HOST: '0.0.0.0',
      EXPLORER_API_KEY: 'explorer-key',
      EXPLORER_STORE_PATH: '/data/events.db',
      LEDGER_SNAPSHOT_PATH: '/data/ledger.json',
      LEDGER_PERSIST_INTERVAL_MS: '1000',
      LEDGER_DURABILITY: 'WRITE',
      LEDGER_RECONCILE_IN_FLIGHT: 'true',
      TIGERBEETLE_CLUSTER_ID: '0',
      TIGERBEETLE_REPLICAS: '3000,3001',
      SETTLEMENT_ENABLED: 'false',
      SETTLEMENT_THRESHOLD: '18446744073709551615',
      SETTLEMENT_POLLING_INTERVAL: '15000',
      SETTLEMENT_STATE_PATH: '/data/settlement.json',
      BASE_L2_RPC_URL: 'https://sepolia.base.org',
      EVM_PRIVATE_KEY: `0x${'ab'.repeat(32)}`,
      M2M_TOKEN_ADDRESS: `0x${'11'.repeat(20)}`,
      TOKEN_NETWORK_REGISTRY: `0x${'22'.repeat(20)}`,
      NETWORK_MODE: 'testnet',
      KEY_BACKEND: 'aws-kms',
      AWS_KMS_KEY_ID: 'alias/settlement',
      AWS_REGION: 'eu-west-1',
      AWS_KMS_ENDPOINT: 'https://kms.eu-west-1.amazonaws.com',
      GCP_KMS_KEY_NAME: 'projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1',
      GCP_KMS_API_ENDPOINT: 'cloudkms.googleapis.com',
      AZURE_KEY_VAULT_URL: 'https://settle.vault.azure.net',
      AZURE_KEY_NAME: 'claims',
      AZURE_KEY_VERSION: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      BTP_ALLOW_NOAUTH: 'false',
    };
    assert.equal(Object.keys(env).length, ENV_OVERRIDES.length, 'the test covers every override');
    const c = load(base({ adminApi: { apiKey: 'from-file' } }), env);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.adminApi, {
      enabled: false,
      port: 8081,
      apiKey: 'key',
      allowedIPs: ['10.0.0.0/8', '127.0.0.1'],
      trustProxy: true,
    });
    assert.equal(c.localDelivery.authToken, 'bls-token');
    assert.deepEqual(c.explorer, {
      enabled: false,
      port: 4001,
      host: '0.0.0.0',
      apiKey: 'explorer-key',
      retentionDays: 30,
      maxEvents: 500,
      storePath: '/data/events.db',
    });
    assert.deepEqual(c.settlement, {
      enabled: false,
      threshold: 2n ** 64n - 1n,
      pollingIntervalMs: 15_000,
      ledgerSnapshotPath: '/data/ledger.json',
      ledgerPersistIntervalMs: 1000,
      ledgerDurability: 'write',
      reconcileInFlight: true,
      tigerBeetleClusterId: 0n,
      tigerBeetleReplicas: ['3000', '3001'],
      statePath: '/data/settlement.json',
    });
    assert.deepEqual(c.settlementInfra, {
      rpcUrl: 'https://sepolia.base.org',
      privateKey: env.EVM_PRIVATE_KEY,
      tokenAddress: env.M2M_TOKEN_ADDRESS,
      registryAddress: env.TOKEN_NETWORK_REGISTRY,
      networkMode: 'testnet',
    });
    assert.deepEqual(c.security, {
      keyBackend: 'aws-kms',
      awsKms: {
        keyId: 'alias/settlement',
        region: 'eu-west-1',
        endpoint: 'https://kms.eu-west-1.amazonaws.com',
      },
      gcpKms: { keyName: env.GCP_KMS_KEY_NAME, apiEndpoint: 'cloudkms.googleapis.com' },
      azureKeyVault: {
        vaultUrl: 'https://settle.vault.azure.net',
        keyName: 'claims',
        keyVersion: env.AZURE_KEY_VERSION,
      },
    });
    assert.equal(c.btp.allowNoAuth, false);
  });

  it('treats an empty variable as unset', () => {
    const c = load(base({ adminApi: { apiKey: 'from-file' } }), { ADMIN_API_KEY: '', EXPLORER_PORT: '' });
    assert.equal(c.adminApi.apiKey, 'from-file');
    assert.equal(c.explorer.port, 3001);
  });

  it('reports bad values under env.<NAME>', () => {
    const env: Env = {
      EXPLORER_PORT: 'abc',
      EXPLORER_ENABLED: 'yes',
      SETTLEMENT_THRESHOLD: '-5',
      EXPLORER_MAX_EVENTS: '0',
      KEY_BACKEND: 'vault',
      EVM_PRIVATE_KEY: '0x1234',
    };
    assert.deepEqual(issues(base(), env), [
      'env.EXPLORER_ENABLED: expected true or false for explorer.enabled, got "yes"',
      'env.EXPLORER_PORT: expected a non-negative integer for explorer.port, got "abc"',
      'env.SETTLEMENT_THRESHOLD: expected a non-negative integer for settlement.threshold, got "-5"',
      'env.EXPLORER_MAX_EVENTS: explorer.maxEvents: must be an integer from 1 to 1000000000',
      'env.EVM_PRIVATE_KEY: settlementInfra.privateKey: must be a private key: 0x followed by 64 hex digits',
      'env.KEY_BACKEND: security.keyBackend: Invalid option: expected one of "env"|"aws-kms"|"gcp-kms"|"azure-kv"',
    ]);
  });

  it('applies overrides to a YAML-free object source through load() too', () => {
    const c = ConfigLoader.load(base() as never, { env: { EXPLORER_PORT: '4100' } });
    assert.equal(c.explorer.port, 4100);
  });
});

describe('BTP auth helpers', () => {
  it('names the per-peer secret variable as the spec does', () => {
    assert.equal(peerSecretEnvName('peer-b'), 'BTP_PEER_PEER_B_SECRET');
    assert.equal(peerSecretEnvName('a.b-c_d'), 'BTP_PEER_A_B_C_D_SECRET');
    assert.equal(resolvePeerSecret('peer-b', { BTP_PEER_PEER_B_SECRET: 'secret-token' }), 'secret-token');
    assert.equal(resolvePeerSecret('peer-b', {}), undefined);
  });

  it('allows no-auth unless BTP_ALLOW_NOAUTH or btp.allowNoAuth is false', () => {
    const withBtp = (allow?: boolean) =>
      load(base(allow === undefined ? {} : { btp: { allowNoAuth: allow } }), {});
    assert.equal(allowNoAuth(withBtp(), {}), true);
    assert.equal(allowNoAuth(withBtp(), { BTP_ALLOW_NOAUTH: 'true' }), true);
    assert.equal(allowNoAuth(withBtp(), { BTP_ALLOW_NOAUTH: 'false' }), false);
    assert.equal(allowNoAuth(withBtp(), { BTP_ALLOW_NOAUTH: ' FALSE ' }), false);
    assert.equal(allowNoAuth(withBtp(false), {}), false);
    assert.equal(allowNoAuth(withBtp(false), { BTP_ALLOW_NOAUTH: 'true' }), false);
    assert.equal(allowNoAuth(withBtp(true), { BTP_ALLOW_NOAUTH: 'false' }), false);
  });
});
