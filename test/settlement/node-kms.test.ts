/**
 * Two nodes settling on anvil with the paying node's key in a KMS: each backend's real SDK talks
 * to its local double (test/keys/kms), which holds A's funded anvil key, a test double allowed only
 * because no cloud is reachable. The claim verifies at B, is redeemed on chain and moves the token
 * balance by exactly the amount; a KMS outage during a claim delays it (retried), packets flow on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import {
  KMS_BACKEND_NAMES,
  type KmsBackendName,
  type KmsFixture,
  startKmsFixture,
} from '../keys/kms/backends.js';
import { TestKey } from '../keys/kms/test-key.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
} from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const FAST_KMS = { retryBaseMs: 1, retryMaxMs: 5, maxRetries: 2, timeoutMs: 2_000 };

interface KmsPair {
  chain: TestChain;
  kms: KmsFixture;
  dir: string;
  a: ConnectorNode;
  b: ConnectorNode;
}

/** B (env key, paid) and A (pays B, key in `backend`); started before the suite, stopped after. */
function useKmsPair(
  backend: KmsBackendName,
  pollingIntervalMs?: number,
  extraInfra: Record<string, unknown> = {},
): KmsPair {
  const p = {} as KmsPair;
  before(async () => {
    p.chain = await startTestChain(8453);
    p.kms = await startKmsFixture(backend, new TestKey(KEY_A));
    p.dir = await mkdtemp(join(tmpdir(), `settle-${backend}-`));
    p.b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(p.chain, KEY_B, join(p.dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    p.b.setPacketHandler(() => ({ accept: true }));
    await p.b.start();
    const settle = settlementConfig(p.chain, KEY_A, join(p.dir, 'a.json'), {
      threshold: 1000n,
      ...(pollingIntervalMs === undefined ? {} : { pollingIntervalMs }),
    });
    const { privateKey: _inTheKms, ...infra } = settle.settlementInfra as Record<string, unknown>;
    const config = baseConfig('a', {
      peers: [{ id: 'b', url: btpUrl(p.b), authToken: 's', evmAddress: addressOf(KEY_B) }],
      routes: [{ prefix: 'g.b', nextHop: 'b' }],
      ...settle,
      settlementInfra: { ...infra, ...extraInfra } as ConnectorConfig['settlementInfra'],
      security: p.kms.security(FAST_KMS) as ConnectorConfig['security'],
    });
    p.a = new ConnectorNode(config, silentLogger(), { env: {}, kms: p.kms.hooks() });
    await p.a.start();
    await waitConnected(p.a, 'b');
    await Promise.all([p.a.settlementReady(), p.b.settlementReady()]);
  });
  after(async () => {
    await p.a?.stop();
    await p.b?.stop();
    await p.kms?.double.stop();
    await p.chain?.stop();
    if (p.dir) await rm(p.dir, { recursive: true, force: true });
    assert.deepEqual(p.kms?.double.violations ?? [], []);
  });
  return p;
}

for (const backend of KMS_BACKEND_NAMES) {
  describe(`settlement with the payer's key in ${backend}`, { timeout: 60_000 }, () => {
    const p = useKmsPair(backend);

    it('the KMS-signed claim verifies at B, is redeemed, and moves the balance exactly', async () => {
      const received = nextSettlementEvent(p.b, 'claim-received');
      const redeemed = nextSettlementEvent(p.b, 'redeemed');
      const bBefore = await p.chain.balanceOf(addressOf(KEY_B));
      const signsBefore = p.kms.double.requests.length;
      for (let i = 0; i < 10; i++) assert.equal((await sendData(p.a, 'g.b.x', 100n, `k${i}`)).type, 13);
      assert.equal((await received).ilpAmount, 1000n);
      assert.equal((await redeemed).paid, 1000n * FACTOR);
      assert.equal((await p.chain.balanceOf(addressOf(KEY_B))) - bBefore, 1000n * FACTOR);
      assert.ok(p.kms.double.requests.length > signsBefore, 'the claim was signed by the KMS');
    });
  });
}

describe('a KMS outage during a claim', { timeout: 60_000 }, () => {
  // A deposit that covers both claims: the outage must hit a claim's signature, not a deposit's.
  const p = useKmsPair('aws-kms', 300, { initialDeposit: 10_000n * FACTOR });

  it('packets keep flowing, the claim is retried once the KMS answers, and paid exactly', async () => {
    const bBefore = await p.chain.balanceOf(addressOf(KEY_B));
    // First a claim with the KMS up: the channel is opened, so the outage hits a claim's signing.
    const first = nextSettlementEvent(p.b, 'redeemed', (e) => e.redeemed === 1000n * FACTOR);
    for (let i = 0; i < 10; i++) assert.equal((await sendData(p.a, 'g.b.x', 100n, `u${i}`)).type, 13);
    await first;
    const failed = nextSettlementEvent(p.a, 'error');
    p.kms.double.faults.fail = 1_000_000;
    for (let i = 0; i < 10; i++) assert.equal((await sendData(p.a, 'g.b.x', 100n, `o${i}`)).type, 13);
    const error = await failed;
    assert.match(error.message, /aws-kms Sign .* could not reach the service or it failed/);
    for (const secret of p.kms.secrets) assert.ok(!error.message.includes(secret));
    const redeemed = nextSettlementEvent(p.b, 'redeemed', (e) => e.redeemed === 2000n * FACTOR);
    p.kms.double.faults.fail = 0;
    await redeemed;
    assert.equal((await p.chain.balanceOf(addressOf(KEY_B))) - bBefore, 2000n * FACTOR);
    assert.equal((await p.a.getBalance('b')).netBalance, 0n);
  });
});

describe('a node whose KMS key is unusable', () => {
  for (const backend of KMS_BACKEND_NAMES) {
    it(`${backend}: a key on the wrong curve stops the start with ERR_KMS_KEY`, async () => {
      const kms = await startKmsFixture(backend, new TestKey(KEY_A));
      try {
        kms.wrongCurve();
        const node = new ConnectorNode(
          baseConfig('a', {
            blockchain: {
              base: {
                rpcUrl: 'http://127.0.0.1:1',
                chainId: 8453,
                tokenAddress: `0x${'11'.repeat(20)}`,
                registryAddress: `0x${'22'.repeat(20)}`,
              },
            },
            security: kms.security(FAST_KMS) as ConnectorConfig['security'],
          }),
          silentLogger(),
          { env: {}, kms: kms.hooks() },
        );
        await assert.rejects(node.start(), (error: unknown) => {
          assert.equal((error as { code?: string }).code, 'ERR_KMS_KEY');
          assert.match(
            (error as Error).message,
            /not a secp256k1|needs (ECC_SECG_P256K1|EC_SIGN_SECP256K1_SHA256)/,
          );
          return true;
        });
        await node.stop();
      } finally {
        await kms.double.stop();
      }
    });
  }
});
