/** NETWORK_MODE presets merged with the blockchain config. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject } from '../../src/config/loader.js';
import { chainById, NETWORK_PRESETS, resolveChains } from '../../src/settlement/index.js';
import { ConfigurationError } from '../../src/utils/errors.js';

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
