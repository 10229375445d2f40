/**
 * `connector address` (alias `connector keys`) as an operator runs it before the first start:
 * the settlement address of the configured key, never the key; and `connector validate`
 * reporting the NETWORK_MODE rules (the mainnet env-key rule, a preset without a registry).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EnvKeySigner, HdWalletSigner } from '../../src/keys/index.js';
import { AWS_TEST_CREDENTIALS, AwsKmsDouble } from '../keys/kms/aws-kms-double.js';
import { TestKey } from '../keys/kms/test-key.js';
import { ANVIL_KEYS, TEST_MNEMONIC } from '../settlement/anvil.js';

const BIN = join(process.cwd(), 'bin', 'connector.js');
const dir = mkdtempSync(join(tmpdir(), 'cli-address-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Only PATH from the caller's environment: no stray EVM_PRIVATE_KEY or NETWORK_MODE. */
function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

function configFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  const head = ['nodeId: a', 'btpServerPort: 0', 'peers: []', 'routes: []'];
  writeFileSync(file, [...head, ...lines, ''].join('\n'));
  return file;
}

const REGISTRY = `0x${'22'.repeat(20)}`;

describe('connector address', () => {
  const keyAddress = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[1]).address;

  it('prints the address of EVM_PRIVATE_KEY, and what to fund on each preset chain', () => {
    const file = configFile('env-key.yaml', ['environment: development']);
    const res = run(['address', '-c', file], { EVM_PRIVATE_KEY: ANVIL_KEYS[1], NETWORK_MODE: 'testnet' });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, `${keyAddress}\n`);
    assert.match(res.stderr, /key backend env-key/);
    assert.match(
      res.stderr,
      /base \(Base Sepolia, 84532\): native ETH for gas, and 0x036CbD53842c5426634e7929541eC2318f3dCF7e/,
    );
    assert.match(res.stderr, /arbitrum \(Arbitrum Sepolia, 421614\)/);
    assert.ok(!`${res.stdout}${res.stderr}`.toLowerCase().includes(ANVIL_KEYS[1].slice(2).toLowerCase()));
  });

  it('answers to `keys` too, and prints JSON with --json (RPC paths hidden)', () => {
    const file = configFile('mnemonic.yaml', [
      'environment: production',
      'settlementInfra:',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} substitution
      '  mnemonic: ${MNEMONIC}',
      '  networkMode: mainnet',
      'blockchain:',
      '  base:',
      '    rpcUrl: https://base.example/v2/SECRET-API-KEY',
      '  arbitrum:',
      '    enabled: false',
    ]);
    const res = run(['keys', '-c', file, '--json'], { MNEMONIC: TEST_MNEMONIC });
    // Production on mainnet with a key from env may not start, but its address is what to fund.
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), {
      address: HdWalletSigner.fromMnemonic(TEST_MNEMONIC).address,
      keyBackend: 'hd-wallet',
      chains: [
        {
          name: 'base',
          chainId: 8453,
          rpcUrl: 'https://base.example/…',
          tokenAddress: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        },
      ],
    });
    for (const word of ['SECRET-API-KEY', 'junk']) assert.ok(!res.stdout.includes(word), word);
  });

  it('exits 1 naming what to set when no key is configured', () => {
    const file = configFile('no-key.yaml', ['environment: development']);
    const res = run(['address', '-c', file]);
    assert.equal(res.status, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /no signing key: set EVM_PRIVATE_KEY/);
  });

  it('exits 1 with the path of a malformed key, without its text', () => {
    const bad = `0x${'zz'.repeat(32)}`;
    const file = configFile('bad-key.yaml', ['environment: development']);
    const res = run(['address', '-c', file], { EVM_PRIVATE_KEY: bad });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /env\.EVM_PRIVATE_KEY/);
    assert.ok(!res.stderr.includes(bad));
  });
});

describe('connector validate with NETWORK_MODE', () => {
  it('reports the mainnet env-key rule at security.allowEnvKeyOnMainnet, and accepts the opt-in', () => {
    const lines = [
      'environment: production',
      'settlementInfra:',
      `  registryAddress: "${REGISTRY}"`,
      'blockchain:',
      '  arbitrum:',
      `    registryAddress: "${REGISTRY}"`,
    ];
    const env = { EVM_PRIVATE_KEY: ANVIL_KEYS[1], NETWORK_MODE: 'mainnet' };
    const refused = run(['validate', configFile('mainnet.yaml', lines)], env);
    assert.equal(refused.status, 1, refused.stdout);
    assert.match(refused.stderr, /- security\.allowEnvKeyOnMainnet: production on NETWORK_MODE=mainnet/);
    const allowed = configFile('mainnet-allowed.yaml', [
      ...lines,
      'security:',
      '  allowEnvKeyOnMainnet: true',
    ]);
    const ok = run(['validate', allowed], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /settlement on/);
  });

  it('says a preset has no public registry and how to deploy one', () => {
    const file = configFile('testnet.yaml', ['environment: development']);
    const res = run(['validate', file], { EVM_PRIVATE_KEY: ANVIL_KEYS[1], NETWORK_MODE: 'testnet' });
    assert.equal(res.status, 1);
    assert.match(
      res.stderr,
      /- settlementInfra\.registryAddress: chain base \(Base Sepolia, 84532\) has no public/,
    );
    assert.match(res.stderr, /- blockchain\.arbitrum\.registryAddress: .*connector contracts deploy/);
  });
});

describe('connector address with a KMS key', () => {
  // A test double of AWS KMS (no cloud is reachable here): the real SDK in the CLI process
  // reads the public key from it, with credentials from the SDK's default chain (env).
  const double = new AwsKmsDouble(new TestKey(ANVIL_KEYS[2]));
  after(() => double.stop());

  it('prints the address of the aws-kms key, read from the service, never a credential', async () => {
    await double.start();
    const file = configFile('aws-kms.yaml', ['environment: development']);
    const { awsKms } = double.security();
    const child = spawn(process.execPath, [BIN, 'address', '-c', file], {
      env: {
        PATH: process.env.PATH ?? '',
        KEY_BACKEND: 'aws-kms',
        AWS_KMS_KEY_ID: awsKms.keyId,
        AWS_REGION: awsKms.region,
        AWS_KMS_ENDPOINT: awsKms.endpoint,
        AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: AWS_TEST_CREDENTIALS.sessionToken,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `${new TestKey(ANVIL_KEYS[2]).address}\n`);
    assert.match(stderr, /key backend aws-kms/);
    assert.deepEqual(double.violations, []);
    for (const secret of Object.values(AWS_TEST_CREDENTIALS))
      assert.ok(!`${stdout}${stderr}`.includes(secret), 'no credential printed');
  });
});
