/** NETWORK_MODE presets merged with the blockchain config. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress } from 'viem';
import { parseConfigObject } from '../../src/config/loader.js';
import { chainById, NETWORK_PRESETS, resolveChains } from '../../src/settlement/index.js';
import { ConfigurationError } from '../../src/utils/errors.js';

const TOKEN = `0x${'11'.repeat(20)}` as const;
const REGISTRY = `0x${'22'.repeat(20)}` as const;

const ids = (chains: readonly { name: string; chainId: number }[]) =>
  chains.map((c) => `${c.name}:${c.chainId}`);

describe('resolveChains', () => {
  it('testnet is Base Sepolia and Arbitrum Sepolia; mainnet is Base and Arbitrum One', () => {
    assert.deepEqual(ids(resolveChains({ settlementInfra: { networkMode: 'testnet' } })), [
      'base:84532',
      'arbitrum:421614',
    ]);
    assert.deepEqual(ids(resolveChains({ settlementInfra: { networkMode: 'mainnet' } })), [
      'base:8453',
      'arbitrum:42161',
    ]);
    for (const chain of [...NETWORK_PRESETS.testnet, ...NETWORK_PRESETS.mainnet]) {
      assert.match(chain.rpcUrl, /^https:\/\/[a-z0-9.-]+(\/rpc)?$/);
    }
  });

  it('without a mode or chains there is nothing to settle on', () => {
    assert.deepEqual(resolveChains({}), []);
    assert.deepEqual(resolveChains({ settlementInfra: { rpcUrl: 'http://127.0.0.1:8545' } }), []);
  });

  it('BASE_L2_RPC_URL (settlementInfra.rpcUrl) replaces the base preset RPC only', () => {
    const chains = resolveChains({
      settlementInfra: { networkMode: 'mainnet', rpcUrl: 'https://base.example/rpc' },
    });
    assert.equal(chainById(chains, 8453)?.rpcUrl, 'https://base.example/rpc');
    assert.equal(chainById(chains, 42161)?.rpcUrl, 'https://arb1.arbitrum.io/rpc');
  });

  it('blockchain entries replace presets, add chains, and enabled: false drops one', () => {
    const chains = resolveChains({
      settlementInfra: { networkMode: 'testnet', rpcUrl: 'https://ignored.example' },
      blockchain: {
        base: { rpcUrl: 'http://127.0.0.1:8545', chainId: 8453 },
        arbitrum: { enabled: false, rpcUrl: 'http://127.0.0.1:1', chainId: 421614 },
        zora: { rpcUrl: 'https://rpc.zora.energy', chainId: 7777777 },
        optimism: { rpcUrl: 'https://mainnet.optimism.io', chainId: 10 },
      },
    });
    assert.deepEqual(ids(chains), ['base:8453', 'optimism:10', 'zora:7777777']);
    assert.equal(chains[0]?.rpcUrl, 'http://127.0.0.1:8545');
    assert.ok(Object.isFrozen(chains[0]));
  });

  it('refuses two entries for one chain id', () => {
    assert.throws(
      () =>
        resolveChains({
          settlementInfra: { networkMode: 'mainnet' },
          blockchain: { other: { rpcUrl: 'https://x.example', chainId: 8453 } },
        }),
      (error: unknown) =>
        error instanceof ConfigurationError && error.issues[0]?.path === 'blockchain.other.chainId',
    );
  });

  it('takes a loaded config (env-style multi-chain: two anvils)', () => {
    const config = parseConfigObject({
      nodeId: 'a',
      btpServerPort: 3000,
      peers: [],
      routes: [],
      environment: 'development',
      blockchain: {
        base: { rpcUrl: 'http://127.0.0.1:8545', chainId: 8453 },
        arbitrum: { rpcUrl: 'http://127.0.0.1:8546', chainId: 42161 },
      },
    });
    assert.deepEqual(ids(resolveChains(config)), ['arbitrum:42161', 'base:8453']);
  });
});

describe('NETWORK_MODE presets', () => {
  const disabled = { arbitrum: { enabled: false } };

  it('name each chain, its public RPC and Circle USDC (EIP-55 checksummed)', () => {
    const rows = (mode: 'testnet' | 'mainnet') =>
      resolveChains({ settlementInfra: { networkMode: mode } }).map((c) => [
        c.name,
        c.preset?.label,
        c.chainId,
        c.rpcUrl,
        c.tokenAddress,
        c.registryAddress,
      ]);
    assert.deepEqual(rows('testnet'), [
      [
        'base',
        'Base Sepolia',
        84532,
        'https://sepolia.base.org',
        '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
        undefined,
      ],
      [
        'arbitrum',
        'Arbitrum Sepolia',
        421614,
        'https://sepolia-rollup.arbitrum.io/rpc',
        '0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d',
        undefined,
      ],
    ]);
    assert.deepEqual(rows('mainnet'), [
      [
        'base',
        'Base',
        8453,
        'https://mainnet.base.org',
        '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        undefined,
      ],
      [
        'arbitrum',
        'Arbitrum One',
        42161,
        'https://arb1.arbitrum.io/rpc',
        '0xaf88d065e77c8cC2239327C5EDb3A432268e5831',
        undefined,
      ],
    ]);
    for (const preset of [...NETWORK_PRESETS.testnet, ...NETWORK_PRESETS.mainnet]) {
      assert.equal(getAddress(preset.usdc), preset.usdc, `${preset.label} USDC checksum`);
      assert.ok(Object.isFrozen(preset));
    }
  });

  it('settlementInfra token and registry go to base; the other preset keeps its USDC', () => {
    const chains = resolveChains({
      settlementInfra: { networkMode: 'mainnet', tokenAddress: TOKEN, registryAddress: REGISTRY },
    });
    assert.equal(chainById(chains, 8453)?.tokenAddress, TOKEN);
    assert.equal(chainById(chains, 8453)?.registryAddress, REGISTRY);
    assert.equal(chainById(chains, 42161)?.tokenAddress, '0xaf88d065e77c8cC2239327C5EDb3A432268e5831');
    assert.equal(chainById(chains, 42161)?.registryAddress, undefined);
  });

  it('an entry overrides a preset field by field, without repeating rpcUrl and chainId', () => {
    const chains = resolveChains({
      settlementInfra: { networkMode: 'testnet', rpcUrl: 'https://base.example/rpc' },
      blockchain: {
        base: { registryAddress: REGISTRY },
        arbitrum: { tokenAddress: TOKEN, registryAddress: REGISTRY },
      },
    });
    const base = chainById(chains, 84532);
    assert.equal(base?.rpcUrl, 'https://base.example/rpc');
    assert.equal(base?.tokenAddress, '0x036CbD53842c5426634e7929541eC2318f3dCF7e');
    assert.equal(base?.registryAddress, REGISTRY);
    const arbitrum = chainById(chains, 421614);
    assert.equal(arbitrum?.rpcUrl, 'https://sepolia-rollup.arbitrum.io/rpc');
    assert.equal(arbitrum?.tokenAddress, TOKEN);
    assert.equal(arbitrum?.preset?.label, 'Arbitrum Sepolia');
  });

  it("an entry naming another chain id keeps none of the preset's RPC or USDC", () => {
    const chains = resolveChains({
      settlementInfra: { networkMode: 'mainnet' },
      blockchain: { ...disabled, base: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337 } },
    });
    assert.deepEqual(chains, [
      {
        name: 'base',
        chainId: 31337,
        rpcUrl: 'http://127.0.0.1:8545',
        preset: undefined,
        tokenAddress: undefined,
        registryAddress: undefined,
      },
    ]);
    assert.throws(
      () =>
        resolveChains({
          settlementInfra: { networkMode: 'mainnet' },
          blockchain: { base: { chainId: 31337 } },
        }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        error.issues.length === 1 &&
        error.issues[0]?.path === 'blockchain.base.rpcUrl' &&
        /not the Base preset's \(8453\)/.test(error.issues[0].message),
    );
  });

  it('an entry without rpcUrl and chainId needs a preset of its name', () => {
    assert.throws(
      () =>
        resolveChains({ blockchain: { base: { registryAddress: REGISTRY }, zora: { chainId: 7777777 } } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.deepEqual(
          error.issues.map((i) => i.path),
          ['blockchain.base.chainId', 'blockchain.base.rpcUrl', 'blockchain.zora.rpcUrl'],
        );
        assert.match(error.issues[0]?.message ?? '', /NETWORK_MODE is not set/);
        return true;
      },
    );
  });

  it('the loader accepts an entry that leaves rpcUrl and chainId to the preset', () => {
    const config = parseConfigObject(
      {
        nodeId: 'a',
        btpServerPort: 3000,
        peers: [],
        routes: [],
        environment: 'development',
        blockchain: { arbitrum: { registryAddress: REGISTRY } },
      },
      { env: { NETWORK_MODE: 'mainnet' } },
    );
    assert.equal(chainById(resolveChains(config), 42161)?.registryAddress, REGISTRY);
  });
});
