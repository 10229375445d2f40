/**
 * Two nodes settling on anvil (chain id 8453): A pays B for packets until A owes B the
 * threshold; A opens a channel, signs a claim and sends it over BTP; B verifies it, credits the
 * ledger and redeems on chain. Token balances move by exactly the claimed amounts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectorConfig, ConnectorNode, SettlementEvent } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import { addressOf, FACTOR, settlementConfig, startTestChain, type TestChain } from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];

function nextEvent(node: ConnectorNode, type: SettlementEvent['type']): Promise<SettlementEvent> {
  return new Promise((resolve) => {
    const on = (e: SettlementEvent) => {
      if (e.type !== type) return;
      node.off('settlement', on);
      resolve(e);
    };
    node.on('settlement', on);
  });
}

/** Node B (paid, accepts every packet) and node A (pays B, threshold 1000) on one chain. */
interface Pair {
  chain: TestChain;
  dir: string;
  a: ConnectorNode;
  b: ConnectorNode;
}

/** Starts a Pair before the suite's tests and stops it after them; `infra` adds to A's settlementInfra. */
function usePair(tag: string, infra: Record<string, unknown> = {}): Pair {
  const p = {} as Pair;
  before(async () => {
    p.chain = await startTestChain(8453);
    p.dir = await mkdtemp(join(tmpdir(), `settle-${tag}-`));
    p.b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(p.chain, KEY_B, join(p.dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    p.b.setPacketHandler(() => ({ accept: true }));
    await p.b.start();
    const settle = settlementConfig(p.chain, KEY_A, join(p.dir, 'a.json'), { threshold: 1000n });
    p.a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(p.b), authToken: 's', evmAddress: addressOf(KEY_B) }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settle,
        settlementInfra: { ...settle.settlementInfra, ...infra } as ConnectorConfig['settlementInfra'],
      }),
    );
    await p.a.start();
    await waitConnected(p.a, 'b');
    await Promise.all([p.a.settlementReady(), p.b.settlementReady()]);
  });
  after(async () => {
    await p.a?.stop();
    await p.b?.stop();
    await p.chain?.stop();
    if (p.dir) await rm(p.dir, { recursive: true, force: true });
  });
  return p;
}

describe('settlement between two nodes on anvil', () => {
  const p = usePair('pair');

  it('sends a claim once the threshold is crossed, and B redeems it', async () => {
    const redeemed = nextEvent(p.b, 'redeemed');
    const received = nextEvent(p.b, 'claim-received');
    const acknowledged = nextEvent(p.a, 'claim-acknowledged');
    const bBefore = await p.chain.balanceOf(addressOf(KEY_B));
    // Exactly 10: only the last crosses the threshold, so the claim is for exactly 1000.
    for (let i = 0; i < 10; i++) {
      const reply = await sendData(p.a, 'g.b.x', 100n, `p${i}`);
      assert.equal(reply.type, 13);
    }
    const claim = await received;
    assert.equal(claim.type === 'claim-received' && claim.ilpAmount, 1000n);
    const r = await redeemed;
    assert.equal(r.type === 'redeemed' && r.paid, 1000n * FACTOR);
    assert.equal((await p.chain.balanceOf(addressOf(KEY_B))) - bBefore, 1000n * FACTOR);
    const balA = await p.a.getBalance('b');
    assert.equal(balA.netBalance, 0n);
    const balB = await p.b.getBalance('a');
    assert.equal(balB.netBalance, 0n);
    await acknowledged;
    const state = await p.a.getChannelState('b');
    assert.equal(state.outgoing?.transferred, (1000n * FACTOR).toString());
    assert.equal(state.outgoing?.acknowledgedNonce, '1');
  });
});

describe('automatic channel funding', () => {
  const p = usePair('topup', { initialDeposit: 2000n * FACTOR, topUpWatermark: 1500n * FACTOR });

  it('opens with initialDeposit and tops up once the room falls below the watermark', async () => {
    const aBefore = await p.chain.balanceOf(addressOf(KEY_A));
    const opened = nextEvent(p.a, 'channel-opened');
    const toppedUp = nextEvent(p.a, 'channel-deposit');
    for (let i = 0; i < 10; i++) assert.equal((await sendData(p.a, 'g.b.x', 100n, `t${i}`)).type, 13);
    const o = await opened;
    assert.equal(o.type === 'channel-opened' && o.deposit, 2000n * FACTOR);
    // 1000 claimed of 2000: 1000 left, below the 1500 watermark: + max(1500, 2000).
    const d = await toppedUp;
    assert.equal(d.type === 'channel-deposit' && d.deposit, 4000n * FACTOR);
    const state = await p.a.getChannelState('b');
    assert.equal(state.outgoing?.deposit, (4000n * FACTOR).toString());
    assert.equal(aBefore - (await p.chain.balanceOf(addressOf(KEY_A))), 4000n * FACTOR);
  });
});
