/**
 * What the node decides from config alone, before any chain is reached: settlement on or off,
 * every missing part listed, and a warning when production signs with a key in the process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigurationError, type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { baseConfig } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';

const CHAIN: Pick<ConnectorConfig, 'settlementInfra' | 'blockchain'> = {
  settlementInfra: { privateKey: ANVIL_KEYS[1] },
  blockchain: {
    base: {
      rpcUrl: 'http://127.0.0.1:1',
      chainId: 8453,
      tokenAddress: `0x${'11'.repeat(20)}`,
      registryAddress: `0x${'22'.repeat(20)}`,
    },
  },
};

function build(config: ConnectorConfig): { node: ConnectorNode; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { node: new ConnectorNode(config, logger, { env: {} }), lines };
}

describe('settlement from config', () => {
  it('is off without chains or keys, and listChannels says so', () => {
    const { node } = build(baseConfig('a'));
    assert.throws(() => node.listChannels(), /settlement is not configured/);
  });

  it('is off when SETTLEMENT_ENABLED=false even with everything configured', () => {
    const node = new ConnectorNode(baseConfig('a', CHAIN), pino({ level: 'silent' }), {
      env: { SETTLEMENT_ENABLED: 'false' },
    });
    assert.throws(() => node.listChannels(), /not configured/);
  });

  it('lists every missing part', () => {
    assert.throws(
      () => build(baseConfig('a', { blockchain: { base: { rpcUrl: 'http://127.0.0.1:1', chainId: 8453 } } })),
      (err: unknown) => {
        assert.ok(err instanceof ConfigurationError);
        const paths = err.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, [
          'blockchain.base.registryAddress',
          'blockchain.base.tokenAddress',
          'settlementInfra.privateKey',
        ]);
        return true;
      },
    );
  });

  it('refuses a snapshot-only ledger, which a kill would roll back behind a saved claim', () => {
    assert.throws(
      () => build(baseConfig('a', { ...CHAIN, settlement: { ledgerDurability: 'snapshot' } })),
      /settlement\.ledgerDurability: settlement needs a journaled ledger/,
    );
  });

  it('warns when production signs with a key held in the process', () => {
    const { lines } = build(baseConfig('a', { ...CHAIN, environment: 'production' }));
    assert.ok(lines.some((l) => l.level === 40 && String(l.msg).includes('use a KMS backend in production')));
    const dev = build(baseConfig('a', CHAIN));
    assert.ok(!dev.lines.some((l) => String(l.msg).includes('KMS backend')));
  });
});
