/**
 * Closing channels (docs/contracts.md, Design). The payer closes its channel with nothing of its
 * latest claims redeemed (a stale proof on chain): the receiver's watcher redeems the latest
 * claim inside the challenge period, and once the period is over the payer's settlement returns
 * exactly the deposit minus what was claimed. The receiver's own close redeems and settles at
 * once. Each test has its own pair of keys, so a failure in one leaves no channel in the other.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import type { ConnectorNode } from '../../src/index.js';
import type { TokenNetworkClient } from '../../src/settlement/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  CHALLENGE_PERIOD_S,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

const THRESHOLD = 1_000n;
/** Never reached: claims stay unredeemed until a close makes the receiver act. */
const NEVER = 10n ** 30n;

interface Pair {
  readonly payer: ConnectorNode;
  readonly payee: ConnectorNode;
  readonly payerAddress: Address;
  readonly payeeAddress: Address;
}

describe('closing payment channels between two nodes', { timeout: 30_000 }, () => {
  let chain: TestChain;
  let reader: TokenNetworkClient;
  let dir: string;
  const nodes: ConnectorNode[] = [];

  before(async () => {
    chain = await startTestChain(8453);
    reader = await tokenNetworkAs(chain, ANVIL_KEYS[0]);
    dir = await mkdtemp(join(tmpdir(), 'settle-close-'));
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Payer `a` → payee `b`, each with its own key; by default `b` redeems only when a close forces it. */
  async function startPair(
    name: string,
    payerKey: string,
    payeeKey: string,
    redeemMinimum = NEVER,
  ): Promise<Pair> {
    const payee = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(payerKey) }],
        ...settlementConfig(chain, payeeKey, join(dir, `${name}-b.json`), { redeemMinimum }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    nodes.push(payee);
    payee.setPacketHandler(() => ({ accept: true }));
    await payee.start();
    const payer = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(payee), authToken: 's', evmAddress: addressOf(payeeKey) }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settlementConfig(chain, payerKey, join(dir, `${name}-a.json`), { threshold: THRESHOLD }),
      }),
    );
    nodes.push(payer);
    await payer.start();
    await waitConnected(payer, 'b');
    await Promise.all([payer.settlementReady(), payee.settlementReady()]);
    return { payer, payee, payerAddress: addressOf(payerKey), payeeAddress: addressOf(payeeKey) };
  }

  /**
   * Pays exactly THRESHOLD in packets of 100: the threshold is crossed by the last one only, so
   * the claim is for exactly THRESHOLD. Resolves once the payee has taken the claim.
   */
  async function payPastThreshold(pair: Pair, nonce: bigint): Promise<void> {
    const received = nextSettlementEvent(pair.payee, 'claim-received', (e) => e.nonce === nonce);
    const acknowledged = nextSettlementEvent(pair.payer, 'claim-acknowledged', (e) => e.nonce === nonce);
    for (let i = 0n; i < THRESHOLD / 100n; i++) {
      const reply = await sendData(pair.payer, 'g.b.x', 100n, `n${nonce}-p${i}`);
      assert.equal(reply.type, 13);
    }
    const claim = await received;
    assert.equal(claim.ilpAmount, THRESHOLD);
    assert.equal(claim.amount, THRESHOLD * FACTOR);
    await acknowledged;
  }

  async function channelIdOf(pair: Pair): Promise<Hex> {
    const id = (await pair.payer.getChannelState('b')).outgoing?.channelId;
    assert.ok(id !== undefined, 'the payer has an outgoing channel');
    return id as Hex;
  }

  /**
   * Records both token balances, opens the payer's channel with `deposit`, and pays past the
   * threshold `claims` times (claims 1..claims, each for THRESHOLD).
   */
  async function fund(pair: Pair, deposit: bigint, claims: bigint) {
    const payerStart = await chain.balanceOf(pair.payerAddress);
    const payeeStart = await chain.balanceOf(pair.payeeAddress);
    await pair.payer.openChannel('b', deposit);
    for (let nonce = 1n; nonce <= claims; nonce++) await payPastThreshold(pair, nonce);
    const channelId = await channelIdOf(pair);
    return { channelId, claimed: claims * THRESHOLD * FACTOR, payerStart, payeeStart };
  }

  it('a payer that closes with a stale proof is challenged; the payee ends with all it was owed', async () => {
    const pair = await startPair('stale', ANVIL_KEYS[1], ANVIL_KEYS[2]);
    const { payer, payee } = pair;
    const deposit = 10_000n * FACTOR;
    const { channelId, claimed, payerStart, payeeStart } = await fund(pair, deposit, 2n);
    assert.equal((await payee.getChannelState('a')).incoming?.transferred, claimed.toString());

    // The close (unilateral: a cheater does not ask for a co-signature): on chain nothing of
    // the two claims is redeemed.
    await payer.closeChannel('b', 'outgoing', { cooperative: false });
    const closing = await reader.getChannel(channelId);
    assert.equal(closing?.status, 'closing');
    assert.equal(closing?.redeemed, 0n);
    assert.equal(closing?.deposit, deposit);
    assert.equal((await payer.getChannelState('b')).outgoing?.status, 'closing');

    // The challenge: the payee's watcher sees the close and redeems the latest claim in time.
    const seen = nextSettlementEvent(payee, 'channel-closing', (e) => e.channelId === channelId);
    const redeemed = nextSettlementEvent(payee, 'redeemed', (e) => e.channelId === channelId);
    await payee.watchChannels();
    assert.equal((await seen).direction, 'incoming');
    const redemption = await redeemed;
    assert.equal(redemption.paid, claimed);
    assert.equal(redemption.redeemed, claimed);
    assert.equal((await reader.getChannel(channelId))?.redeemed, claimed);
    assert.equal((await chain.balanceOf(pair.payeeAddress)) - payeeStart, claimed);

    // Before the period is over the payer's watcher cannot settle.
    await payer.watchChannels();
    assert.equal((await reader.getChannel(channelId))?.status, 'closing');

    await chain.advance(CHALLENGE_PERIOD_S + 1);
    const settled = nextSettlementEvent(payer, 'channel-settled', (e) => e.channelId === channelId);
    await payer.watchChannels();
    assert.equal((await settled).direction, 'outgoing');
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal(await reader.channelIdOf(pair.payerAddress, pair.payeeAddress), undefined);
    assert.equal((await chain.balanceOf(pair.payeeAddress)) - payeeStart, claimed);
    assert.equal(payerStart - (await chain.balanceOf(pair.payerAddress)), claimed);

    // Both nodes see the channel settled; the ledgers are square.
    assert.equal((await payer.getChannelState('b')).outgoing, undefined);
    const payeeSettled = nextSettlementEvent(payee, 'channel-settled', (e) => e.channelId === channelId);
    await payee.watchChannels();
    await payeeSettled;
    assert.equal((await payee.getChannelState('a')).incoming, undefined);
    const outgoing = payer.listChannels().find((c) => c.channelId === channelId);
    assert.equal(outgoing?.status, 'settled');
    const incoming = payee.listChannels().find((c) => c.channelId === channelId);
    assert.equal(incoming?.status, 'settled');
    assert.equal(incoming?.redeemed, claimed.toString());
    assert.equal((await payer.getBalance('b')).netBalance, 0n);
    assert.equal((await payee.getBalance('a')).netBalance, 0n);
  });

  it("the payee's close redeems its latest claim and settles at once", async () => {
    const pair = await startPair('receiver', ANVIL_KEYS[3], ANVIL_KEYS[2]);
    const { payer, payee } = pair;
    const deposit = 5_000n * FACTOR;
    const { channelId, claimed, payerStart, payeeStart } = await fund(pair, deposit, 1n);
    assert.equal((await reader.getChannel(channelId))?.redeemed, 0n);

    const settled = nextSettlementEvent(payee, 'channel-settled', (e) => e.channelId === channelId);
    await payee.closeChannel('a', 'incoming');
    assert.equal((await settled).direction, 'incoming');
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal((await chain.balanceOf(pair.payeeAddress)) - payeeStart, claimed);
    assert.equal(payerStart - (await chain.balanceOf(pair.payerAddress)), claimed);
    assert.equal((await payee.getChannelState('a')).incoming, undefined);
    const incoming = payee.listChannels().find((c) => c.channelId === channelId);
    assert.equal(incoming?.status, 'settled');
    assert.equal(incoming?.redeemed, claimed.toString());

    // The payer learns it from the chain on its next watch.
    const payerSettled = nextSettlementEvent(payer, 'channel-settled', (e) => e.channelId === channelId);
    await payer.watchChannels();
    assert.equal((await payerSettled).direction, 'outgoing');
    assert.equal((await payer.getChannelState('b')).outgoing, undefined);
  });

  it("the payee's close after it redeemed every claim settles without a proof", async () => {
    const pair = await startPair('redeemed', ANVIL_KEYS[2], ANVIL_KEYS[3], 1n);
    const { payee } = pair;
    const redeemed = nextSettlementEvent(payee, 'redeemed');
    const deposit = 5_000n * FACTOR;
    const { channelId, claimed, payerStart, payeeStart } = await fund(pair, deposit, 1n);
    assert.equal((await redeemed).paid, claimed);
    assert.equal((await reader.getChannel(channelId))?.nonce, 1n);

    await payee.closeChannel('a', 'incoming');
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal((await chain.balanceOf(pair.payeeAddress)) - payeeStart, claimed);
    assert.equal(payerStart - (await chain.balanceOf(pair.payerAddress)), claimed);
    assert.equal((await payee.getChannelState('a')).incoming, undefined);
  });

  it('a cooperative close settles in one transaction: the payee gets every claim, the payer the rest at once', async () => {
    const pair = await startPair('cooperative', ANVIL_KEYS[1], ANVIL_KEYS[3]);
    const { payer, payee } = pair;
    const deposit = 5_000n * FACTOR;
    const { channelId, claimed, payerStart, payeeStart } = await fund(pair, deposit, 2n);

    const payeeClosing = nextSettlementEvent(payee, 'channel-closing', (e) => e.channelId === channelId);
    const settled = nextSettlementEvent(payer, 'channel-settled', (e) => e.channelId === channelId);
    await payer.closeChannel('b', 'outgoing');
    await payeeClosing;
    assert.equal((await settled).direction, 'outgoing');
    // No challenge period: the channel is gone and both balances are final at once.
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal((await chain.balanceOf(pair.payeeAddress)) - payeeStart, claimed);
    assert.equal(payerStart - (await chain.balanceOf(pair.payerAddress)), claimed);
    assert.equal((await payer.getChannelState('b')).outgoing, undefined);

    // The payee takes no claim on a channel it agreed to close, and learns the settle from chain.
    const incoming = payee.listChannels().find((c) => c.channelId === channelId);
    assert.equal(incoming?.status, 'closing');
    const payeeSettled = nextSettlementEvent(payee, 'channel-settled', (e) => e.channelId === channelId);
    await payee.watchChannels();
    await payeeSettled;
    const after = payee.listChannels().find((c) => c.channelId === channelId);
    assert.equal(after?.status, 'settled');
    assert.equal(after?.redeemed, claimed.toString());
    assert.equal((await payer.getBalance('b')).netBalance, 0n);
    assert.equal((await payee.getBalance('a')).netBalance, 0n);
  });
});
