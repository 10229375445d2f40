/**
 * `connector setup --yes` without a terminal (scripts, CI): `--yes` alone writes a minimal config
 * that validates and starts; every answer can come from a flag or a CONNECTOR_SETUP_* variable;
 * bad values are all listed and nothing is written; existing files need --force; without a
 * terminal and without --yes it says how to run it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TEST_MNEMONIC } from '../settlement/anvil.js';
import { cli, readEnvFile, startWritten } from './setup-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'setup-yes-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => mkdtempSync(join(root, `${n++}-`));

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const REGISTRY = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

describe('connector setup --yes', () => {
  it('alone: a minimal embedded config that validates and starts (no secrets, so no .env)', async () => {
    const dir = freshDir();
    const result = cli(['setup', '--yes'], dir);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(existsSync(join(dir, '.env')), false);
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    for (const line of [
      'nodeId: my-connector',
      'btpServerPort: 3000',
      'healthCheckPort: 8080',
      'deploymentMode: embedded',
      'peers: []',
      'routes: []',
      'ledgerSnapshotPath: ./data/my-connector/ledger-snapshot.json',
    ]) {
      assert.ok(yaml.includes(line), line);
    }
    assert.equal(cli(['validate', 'config.yaml'], dir).status, 0);
    // It starts: the same file with its default ports moved to free ones (tests share the host).
    writeFileSync(
      join(dir, 'config.yaml'),
      yaml
        .replace('btpServerPort: 3000', 'btpServerPort: 0')
        .replace('healthCheckPort: 8080', 'healthCheckPort: 0')
        .replace('port: 3001', 'port: 0'),
    );
    const node = await startWritten(dir);
    assert.equal(node.line.ilpAddress, 'g.my-connector');
    assert.equal(await node.stop(), 0);
  });

  it('takes every answer from flags: standalone, peers, parent, settlement with a given mnemonic', () => {
    const dir = freshDir();
    const result = cli(
      [
        'setup',
        '--yes',
        '--node-id',
        'hub',
        '--environment',
        'production',
        '--parent-url',
        'ws://upstream:3000',
        '--parent-token',
        'up-secret',
        '--btp-port',
        '4000',
        '--health-port',
        '4001',
        '--explorer-port',
        'off',
        '--mode',
        'standalone',
        '--bls-url',
        'http://bls:3100',
        '--admin-port',
        '4002',
        '--peer',
        'id=bob,url=ws://bob:3000,token=bob-secret,credit=5000,settle=100,evm=0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        '--peer',
        'id=kid,relation=child',
        '--data-dir',
        '/var/lib/hub',
        '--settlement',
        'testnet',
        '--token-address',
        TOKEN,
        '--registry-address',
        REGISTRY,
        '--settle-threshold',
        '1000',
        '--key',
        'mnemonic',
        '--mnemonic',
        TEST_MNEMONIC,
      ],
      dir,
    );
    assert.equal(result.status, 0, result.stderr);
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    const env = readEnvFile(join(dir, '.env'));
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600);
    assert.deepEqual([...env.keys()].sort(), [
      'ADMIN_API_KEY',
      'BTP_PEER_BOB_SECRET',
      'BTP_PEER_PARENT_SECRET',
      'EVM_MNEMONIC',
    ]);
    for (const [name, value] of env) assert.ok(!yaml.includes(value), `${name} stays out of the YAML`);
    for (const line of [
      'environment: production',
      'relation: parent',
      'url: ws://upstream:3000',
      'handlerUrl: http://bls:3100',
      `apiKey: \${ADMIN_API_KEY}`,
      'networkMode: testnet',
      'threshold: 1000',
      `mnemonic: \${EVM_MNEMONIC}`,
      'ledgerSnapshotPath: /var/lib/hub/ledger-snapshot.json',
      'enabled: false',
    ]) {
      assert.ok(yaml.includes(line), line);
    }
    const valid = cli(['validate', 'config.yaml'], dir);
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /node hub, 3 peer\(s\), 1 route\(s\), settlement on/);
  });

  it('takes answers from CONNECTOR_SETUP_* variables, and secrets from their usual ones', () => {
    const dir = freshDir();
    const result = cli(['setup', '--yes'], dir, {
      CONNECTOR_SETUP_NODE_ID: 'from-env',
      CONNECTOR_SETUP_PEER: 'id=a,url=ws://a:1;id=b,url=ws://b:2',
      CONNECTOR_SETUP_SETTLEMENT: 'custom',
      CONNECTOR_SETUP_RPC_URL: 'http://127.0.0.1:8545',
      CONNECTOR_SETUP_CHAIN_ID: '31337',
      CONNECTOR_SETUP_TOKEN_ADDRESS: TOKEN,
      CONNECTOR_SETUP_REGISTRY_ADDRESS: REGISTRY,
      CONNECTOR_SETUP_KEY: 'private-key',
      EVM_PRIVATE_KEY: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /settlement address .*: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8/);
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(yaml, /nodeId: from-env/);
    assert.match(yaml, /chainId: 31337/);
    assert.equal(
      readEnvFile(join(dir, '.env')).get('EVM_PRIVATE_KEY'),
      '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    );
    assert.equal(cli(['validate', 'config.yaml'], dir).status, 0);
  });

  it('a KMS backend: its fields from their variables, written to security (not secrets)', () => {
    const dir = freshDir();
    const result = cli(
      [
        'setup',
        '--yes',
        '--settlement',
        'mainnet',
        '--token-address',
        TOKEN,
        '--registry-address',
        REGISTRY,
        '--key',
        'aws-kms',
        '--also-chain',
        `arbitrum:${TOKEN}:${REGISTRY}`,
      ],
      dir,
      { AWS_KMS_KEY_ID: 'alias/connector', AWS_REGION: 'eu-west-1' },
    );
    assert.equal(result.status, 0, result.stderr);
    const yaml = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(yaml, /keyBackend: aws-kms/);
    assert.match(yaml, /keyId: alias\/connector/);
    assert.match(yaml, /region: eu-west-1/);
    assert.match(
      yaml,
      /arbitrum:\n\s+rpcUrl: https:\/\/arb1\.arbitrum\.io\/rpc\n\s+chainId: 42161\n\s+tokenAddress:/,
    );
  });

  it('lists every bad answer and writes nothing', () => {
    const dir = freshDir();
    const result = cli(
      [
        'setup',
        '--yes',
        '--node-id',
        'a.b',
        '--btp-port',
        '70000',
        '--peer',
        'url=ws://x',
        '--settlement',
        'custom',
        '--key',
        'aws-kms',
        '--also-chain',
        `arbitrum:${TOKEN}:${REGISTRY}`,
      ],
      dir,
    );
    assert.equal(result.status, 2);
    for (const text of [
      '--node-id: one ILP address segment',
      '--btp-port: a port from 0 to 65535',
      '--peer url=ws://x: id is required',
      '--rpc-url: required with --settlement custom',
      '--token-address: required when settlement is on',
      '--aws-kms-key-id (AWS_KMS_KEY_ID): required with --key aws-kms',
      '(none for this network)',
    ]) {
      assert.ok(result.stderr.includes(text), `${text}\n${result.stderr}`);
    }
    assert.equal(existsSync(join(dir, 'config.yaml')), false);
  });

  it('refuses to overwrite without --force', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'config.yaml'), 'mine\n');
    const refused = cli(['setup', '--yes'], dir);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /already exist.*--force/);
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), 'mine\n');
    const forced = cli(['setup', '--yes', '--force'], dir);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(readFileSync(join(dir, 'config.yaml'), 'utf8'), /nodeId: my-connector/);
  });

  it('without a terminal and without --yes, says how to run it', () => {
    const result = cli(['setup'], freshDir());
    assert.equal(result.status, 2);
    assert.match(result.stderr, /use --yes/);
  });
});
