/**
 * NETWORK_MODE as the node reads it from config alone (no chain is reached): the presets' tokens
 * in the settlement spec, a missing registry explained, and the mainnet rule for keys from `env`
 * in production (`security.allowEnvKeyOnMainnet`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfigObject } from '../../src/config/loader.js';
import { ConfigurationError, type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { settlementSpec } from '../../src/settlement/index.js';
import { baseConfig } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';

const REGISTRY = `0x${'22'.repeat(20)}`;
/** Both presets complete: registries set, arbitrum's through its entry alone. */
const MAINNET: Pick<ConnectorConfig, 'settlementInfra' | 'blockchain'> = {
  settlementInfra: { privateKey: ANVIL_KEYS[1], networkMode: 'mainnet', registryAddress: REGISTRY },
  blockchain: { arbitrum: { registryAddress: REGISTRY } },
};

function build(config: ConnectorConfig, env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { node: new ConnectorNode(config, logger, { env }), lines };
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.issues];
    throw error;
  }
  assert.fail('expected a ConfigurationError');
}

describe('NETWORK_MODE in the settlement spec', () => {
  it("settles in each preset's USDC unless a token is configured", () => {
    const spec = settlementSpec(parseConfigObject(baseConfig('a', MAINNET), { env: {} }));
    assert.deepEqual(
      spec?.chains.map((c) => [c.name, c.chainId, c.rpcUrl, c.tokenAddress, c.registryAddress]),
      [
        ['base', 8453, 'https://mainnet.base.org', '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', REGISTRY],
        [
          'arbitrum',
          42161,
          'https://arb1.arbitrum.io/rpc',
          '0xaf88d065e77c8cC2239327C5EDb3A432268e5831',
          REGISTRY,
        ],
      ],
    );
    const token = `0x${'33'.repeat(20)}`;
    const own = settlementSpec(
      parseConfigObject(baseConfig('a', MAINNET), { env: { M2M_TOKEN_ADDRESS: token } }),
    );
    assert.equal(own?.chains[0]?.tokenAddress, token);
    assert.equal(own?.chains[1]?.tokenAddress, '0xaf88d065e77c8cC2239327C5EDb3A432268e5831');
  });

  it('a preset without a registry says there is no public one, how to deploy it and where to set it', () => {
    const issues = issuesOf(() =>
      build(baseConfig('a', { settlementInfra: { privateKey: ANVIL_KEYS[1], networkMode: 'testnet' } })),
    );
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'blockchain.arbitrum.registryAddress',
      'settlementInfra.registryAddress',
    ]);
    const base = issues.find((i) => i.path === 'settlementInfra.registryAddress')?.message ?? '';
    assert.match(base, /Base Sepolia, 84532\) has no public TokenNetworkRegistry/);
    assert.match(
      base,
      /connector contracts deploy --rpc <RPC URL> --chain-id 84532 --token 0x036CbD53842c5426634e7929541eC2318f3dCF7e/,
    );
    assert.match(base, /TOKEN_NETWORK_REGISTRY/);
    const arbitrum = issues.find((i) => i.path === 'blockchain.arbitrum.registryAddress')?.message ?? '';
    assert.match(arbitrum, /Arbitrum Sepolia, 421614\).*set blockchain\.arbitrum\.registryAddress/);
  });
});

describe('a key from env on mainnet in production', () => {
  const production = (extra: Partial<ConnectorConfig> = {}) =>
    baseConfig('a', { ...MAINNET, environment: 'production', ...extra });

  it('is refused at security.allowEnvKeyOnMainnet, with the other problems', () => {
    const issues = issuesOf(() => build(production({ settlement: { ledgerDurability: 'snapshot' } })));
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'security.allowEnvKeyOnMainnet',
      'settlement.ledgerDurability',
    ]);
    assert.match(
      issues.find((i) => i.path === 'security.allowEnvKeyOnMainnet')?.message ?? '',
      /KEY_BACKEND=aws-kms/,
    );
  });

  it('is refused when NETWORK_MODE comes from the environment, and for a mnemonic too', () => {
    const config = baseConfig('a', {
      environment: 'production',
      settlementInfra: {
        mnemonic: 'test test test test test test test test test test test junk',
        registryAddress: REGISTRY,
      },
      blockchain: { arbitrum: { registryAddress: REGISTRY } },
    });
    const issues = issuesOf(() => build(config, { NETWORK_MODE: 'mainnet' }));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['security.allowEnvKeyOnMainnet'],
    );
  });

  it('starts with allowEnvKeyOnMainnet: true, still warning loudly', () => {
    const { lines } = build(production({ security: { allowEnvKeyOnMainnet: true } }));
    assert.ok(lines.some((l) => l.level === 40 && String(l.msg).includes('use a KMS backend in production')));
  });

  it('does not apply to development, to testnet, to a KMS backend or with settlement off', () => {
    build(baseConfig('a', MAINNET));
    build(
      production({
        settlementInfra: { privateKey: ANVIL_KEYS[1], networkMode: 'testnet', registryAddress: REGISTRY },
      }),
    );
    // The spec alone: building a node would construct the KMS signer, which is not this test's.
    assert.ok(
      settlementSpec(
        parseConfigObject(
          production({
            // A complete KMS key (the KMS check refuses one without its fields).
            security: {
              keyBackend: 'aws-kms',
              awsKms: {
                keyId: 'arn:aws:kms:eu-west-1:111122223333:key/0b5a4e2c-1f6d-4c8e-9a7b-3d2e1f0a9b8c',
              },
            },
          }),
          { env: {} },
        ),
      ),
    );
    assert.equal(
      settlementSpec(parseConfigObject(production(), { env: { SETTLEMENT_ENABLED: 'false' } })),
      undefined,
    );
  });

  it('refuses a value that is not a boolean', () => {
    const issues = issuesOf(() =>
      parseConfigObject(production({ security: { allowEnvKeyOnMainnet: 'yes' as never } }), { env: {} }),
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      ['security.allowEnvKeyOnMainnet'],
    );
  });
});
