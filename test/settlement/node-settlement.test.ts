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
import { addressOf, settlementConfig, startTestChain, type TestChain } from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
/** Asset scale 9, token decimals 18: one ILP unit is 10^9 token base units. */
const FACTOR = 10n ** 9n;

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

describe('settlement between two nodes on anvil', () => {
  let chain: TestChain;
  let dir: string;
  let a: ConnectorNode;
  let b: ConnectorNode;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    b.setPacketHandler(() => ({ accept: true }));
    await b.start();
    a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(b), authToken: 's', evmAddress: addressOf(KEY_B) }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settlementConfig(chain, KEY_A, join(dir, 'a.json'), { threshold: 1000n }),
      }),
    );
    await a.start();
    await waitConnected(a, 'b');
    await Promise.all([a.settlementReady(), b.settlementReady()]);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends a claim once the threshold is crossed, and B redeems it', async () => {
    const redeemed = nextEvent(b, 'redeemed');
    const received = nextEvent(b, 'claim-received');
    const bBefore = await chain.balanceOf(addressOf(KEY_B));
    // Exactly 10: only the last crosses the threshold, so the claim is for exactly 1000.
    for (let i = 0; i < 10; i++) {
      const reply = await sendData(a, 'g.b.x', 100n, `p${i}`);
      assert.equal(reply.type, 13);
    }
    const claim = await received;
    assert.equal(claim.type === 'claim-received' && claim.ilpAmount, 1000n);
    const r = await redeemed;
    assert.equal(r.type === 'redeemed' && r.paid, 1000n * FACTOR);
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - bBefore, 1000n * FACTOR);
    const balA = await a.getBalance('b');
    assert.equal(balA.netBalance, 0n);
    const balB = await b.getBalance('a');
    assert.equal(balB.netBalance, 0n);
    const state = await a.getChannelState('b');
    assert.equal(state.outgoing?.transferred, (1000n * FACTOR).toString());
    assert.equal(state.outgoing?.acknowledgedNonce, '1');
  });
});

describe('automatic channel funding', () => {
  let chain: TestChain;
  let dir: string;
  let a: ConnectorNode;
  let b: ConnectorNode;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-topup-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    b.setPacketHandler(() => ({ accept: true }));
    await b.start();
    const settle = settlementConfig(chain, KEY_A, join(dir, 'a.json'), { threshold: 1000n });
    a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(b), authToken: 's', evmAddress: addressOf(KEY_B) }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settle,
        settlementInfra: {
          ...settle.settlementInfra,
          initialDeposit: 2000n * FACTOR,
          topUpWatermark: 1500n * FACTOR,
        } as ConnectorConfig['settlementInfra'],
      }),
    );
    await a.start();
    await waitConnected(a, 'b');
    await Promise.all([a.settlementReady(), b.settlementReady()]);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens with initialDeposit and tops up once the room falls below the watermark', async () => {
    const aBefore = await chain.balanceOf(addressOf(KEY_A));
    const opened = nextEvent(a, 'channel-opened');
    const toppedUp = nextEvent(a, 'channel-deposit');
    for (let i = 0; i < 10; i++) assert.equal((await sendData(a, 'g.b.x', 100n, `t${i}`)).type, 13);
    const o = await opened;
    assert.equal(o.type === 'channel-opened' && o.deposit, 2000n * FACTOR);
    // 1000 claimed of 2000: 1000 left, below the 1500 watermark: + max(1500, 2000).
    const d = await toppedUp;
    assert.equal(d.type === 'channel-deposit' && d.deposit, 4000n * FACTOR);
    const state = await a.getChannelState('b');
    assert.equal(state.outgoing?.deposit, (4000n * FACTOR).toString());
    assert.equal(aBefore - (await chain.balanceOf(addressOf(KEY_A))), 4000n * FACTOR);
  });
});
