/**
 * One node settling on two chains (DESIGN §7, Chains): anvils with chain ids 8453 (`base`) and
 * 42161 (`arbitrum`). Node A configures both; its peer B settles on `base` (the default) and
 * its peer C names `arbitrum`. B and C each know only their own chain. A pays both past their
 * thresholds: each claim, redemption and token balance moves on its own chain only, by exactly
 * the claimed amount.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectorConfig, ConnectorNode } from '../../src/index.js';
import type { TokenNetworkClient } from '../../src/settlement/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const KEY_C = ANVIL_KEYS[3];
const THRESHOLD_B = 1_000n;
const THRESHOLD_C = 2_000n;

type ChainEntry = NonNullable<ConnectorConfig['blockchain']>[string];

function chainEntry(chain: TestChain): ChainEntry {
  return {
    rpcUrl: chain.anvil.rpcUrl,
    chainId: chain.chainId,
    tokenAddress: chain.token,
    registryAddress: chain.registry,
  };
}

describe('one node settling on two chains', { timeout: 30_000 }, () => {
  let base: TestChain;
  let arbitrum: TestChain;
  let onBase: TokenNetworkClient;
  let onArbitrum: TokenNetworkClient;
  let dir: string;
  let a: ConnectorNode;
  let b: ConnectorNode;
  let c: ConnectorNode;

  before(async () => {
    [base, arbitrum] = await Promise.all([startTestChain(8453), startTestChain(42161)]);
    [onBase, onArbitrum] = await Promise.all([
      tokenNetworkAs(base, ANVIL_KEYS[0]),
      tokenNetworkAs(arbitrum, ANVIL_KEYS[0]),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'settle-multi-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(base, KEY_B, join(dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    c = makeNode(
      baseConfig('c', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(arbitrum, KEY_C, join(dir, 'c.json')),
        blockchain: { arbitrum: chainEntry(arbitrum) },
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    for (const node of [b, c]) node.setPacketHandler(() => ({ accept: true }));
    await Promise.all([b.start(), c.start()]);
    a = makeNode(
      baseConfig('a', {
        peers: [
          { id: 'b', url: btpUrl(b), authToken: 's', evmAddress: addressOf(KEY_B) },
          {
            id: 'c',
            url: btpUrl(c),
            authToken: 's',
            evmAddress: addressOf(KEY_C),
            settlementChain: 'arbitrum',
            balance: { settleThreshold: THRESHOLD_C },
          },
        ],
        routes: [
          { prefix: 'g.b', nextHop: 'b' },
          { prefix: 'g.c', nextHop: 'c' },
        ],
        ...settlementConfig(base, KEY_A, join(dir, 'a.json'), { threshold: THRESHOLD_B }),
        blockchain: { base: chainEntry(base), arbitrum: chainEntry(arbitrum) },
      }),
    );
    await a.start();
    await Promise.all([waitConnected(a, 'b'), waitConnected(a, 'c')]);
    await Promise.all([
      a.settlementReady('base'),
      a.settlementReady('arbitrum'),
      b.settlementReady(),
      c.settlementReady(),
    ]);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await c?.stop();
    await base?.stop();
    await arbitrum?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Token balances of the three nodes on both chains. */
  async function balances(): Promise<bigint[]> {
    return Promise.all(
      [base, arbitrum].flatMap((chain) => [KEY_A, KEY_B, KEY_C].map((k) => chain.balanceOf(addressOf(k)))),
    );
  }

  /** Pays exactly `threshold` in packets of 100, so the threshold is crossed by the last one. */
  async function pay(peer: 'b' | 'c', threshold: bigint): Promise<void> {
    for (let i = 0n; i < threshold / 100n; i++) {
      const reply = await sendData(a, `g.${peer}.x`, 100n, `${peer}-${i}`);
      assert.equal(reply.type, 13);
    }
  }

  it('claims, redemptions and tokens move on each peer’s chain only, by exactly the claims', async () => {
    const start = await balances();
    const claimB = nextSettlementEvent(a, 'claim-sent', (e) => e.peerId === 'b');
    const claimC = nextSettlementEvent(a, 'claim-sent', (e) => e.peerId === 'c');
    const receivedB = nextSettlementEvent(b, 'claim-received');
    const receivedC = nextSettlementEvent(c, 'claim-received');
    const redeemedB = nextSettlementEvent(b, 'redeemed');
    const redeemedC = nextSettlementEvent(c, 'redeemed');
    await Promise.all([pay('b', THRESHOLD_B), pay('c', THRESHOLD_C)]);

    const tokensB = THRESHOLD_B * FACTOR;
    const tokensC = THRESHOLD_C * FACTOR;
    const [sentB, sentC] = await Promise.all([claimB, claimC]);
    assert.equal(sentB.amount, tokensB);
    assert.equal(sentC.amount, tokensC);
    const [gotB, gotC] = await Promise.all([receivedB, receivedC]);
    assert.equal(gotB.channelId, sentB.channelId);
    assert.equal(gotB.ilpAmount, THRESHOLD_B);
    assert.equal(gotC.channelId, sentC.channelId);
    assert.equal(gotC.ilpAmount, THRESHOLD_C);
    const [paidB, paidC] = await Promise.all([redeemedB, redeemedC]);
    assert.equal(paidB.paid, tokensB);
    assert.equal(paidC.paid, tokensC);

    // Deposits were opened at what was owed, so each payment leaves A's balance on its chain.
    const end = await balances();
    const moved = end.map((v, i) => v - start[i]!);
    assert.deepEqual(moved, [-tokensB, tokensB, 0n, -tokensC, 0n, tokensC]);

    // Each channel exists on its own chain only.
    assert.equal(await onBase.channelIdOf(addressOf(KEY_A), addressOf(KEY_B)), sentB.channelId);
    assert.equal(await onArbitrum.channelIdOf(addressOf(KEY_A), addressOf(KEY_B)), undefined);
    assert.equal(await onArbitrum.channelIdOf(addressOf(KEY_A), addressOf(KEY_C)), sentC.channelId);
    assert.equal(await onBase.channelIdOf(addressOf(KEY_A), addressOf(KEY_C)), undefined);
    assert.equal((await onBase.getChannel(sentB.channelId))?.redeemed, tokensB);
    assert.equal((await onArbitrum.getChannel(sentC.channelId))?.redeemed, tokensC);

    // The channel state names the chain on both ends.
    const toB = (await a.getChannelState('b')).outgoing;
    assert.equal(toB?.chain, 'base');
    assert.equal(toB?.chainId, 8453);
    assert.equal(toB?.channelId, sentB.channelId);
    assert.equal(toB?.transferred, tokensB.toString());
    const toC = (await a.getChannelState('c')).outgoing;
    assert.equal(toC?.chain, 'arbitrum');
    assert.equal(toC?.chainId, 42161);
    assert.equal(toC?.channelId, sentC.channelId);
    assert.equal(toC?.transferred, tokensC.toString());
    const fromA_B = (await b.getChannelState('a')).incoming;
    assert.equal(fromA_B?.chainId, 8453);
    assert.equal(fromA_B?.redeemed, tokensB.toString());
    const fromA_C = (await c.getChannelState('a')).incoming;
    assert.equal(fromA_C?.chain, 'arbitrum');
    assert.equal(fromA_C?.chainId, 42161);
    assert.equal(fromA_C?.redeemed, tokensC.toString());

    for (const [node, peer] of [
      [a, 'b'],
      [a, 'c'],
      [b, 'a'],
      [c, 'a'],
    ] as const) {
      assert.equal((await node.getBalance(peer)).netBalance, 0n, `${node.config.nodeId}/${peer}`);
    }
  });
});
