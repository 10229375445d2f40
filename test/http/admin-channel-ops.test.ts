/**
 * The admin API's channel operations on real nodes settling on anvil: one channel by id (view,
 * deposit, close, settle now) and the wallet (balances, withdraw). Every answer is checked
 * against the chain read independently through viem: deposits, redemptions, closes, settlements
 * and token balances. Auth, bad input, not-found and wrong-state answers move nothing on chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, createPublicClient, Hex } from 'viem';
import type { ChannelMetadata, ConnectorNode } from '../../src/index.js';
import { type TokenNetworkClient, testTokenAbi } from '../../src/settlement/index.js';
import { sendData } from '../helpers/nodes.js';
import { type AdminPair, PAIR_KEY_A, PAIR_KEY_B, startAdminPair } from '../settlement/admin-pair.js';
import {
  addressOf,
  CHALLENGE_PERIOD_S,
  FACTOR,
  nextSettlementEvent,
  type TestChain,
} from '../settlement/chain-fixture.js';

const API_KEY = 'admin-secret';
const ADMIN = { enabled: true, port: 0, host: '127.0.0.1', apiKey: API_KEY } as const;
const KEY_A = PAIR_KEY_A;
const KEY_B = PAIR_KEY_B;
const UNKNOWN_ID = `0x${'ab'.repeat(32)}`;
const SINK: Address = '0x000000000000000000000000000000000000dEaD';

type Json = Record<string, unknown>;

async function call(
  node: ConnectorNode,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  key: string | null = API_KEY,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (key !== null) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${node.adminPort}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

function assertError(res: { status: number; body: Json }, status: number, message?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
  if (message !== undefined) assert.match(String(res.body.message), message);
}

describe('admin API: channel operations on anvil', { timeout: 120_000 }, () => {
  let chain: TestChain;
  let a: ConnectorNode;
  let b: ConnectorNode;
  let reader: TokenNetworkClient;
  let viem: ReturnType<typeof createPublicClient>;
  const addrA = addressOf(KEY_A);
  const addrB = addressOf(KEY_B);
  let packet = 0;

  const tokens = (owner: Address) =>
    viem.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [owner] });

  /** a owes b `units` ILP units after this (packets of 100 through b, accepted). */
  async function owe(units: bigint): Promise<void> {
    for (let i = 0n; i < units / 100n; i++)
      assert.equal((await sendData(a, 'g.b.x', 100n, `p${packet++}`)).type, 13);
  }

  async function open(deposit: bigint): Promise<ChannelMetadata> {
    const res = await call(a, 'POST', '/admin/channels', { peerId: 'b', amount: deposit.toString() });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as unknown as ChannelMetadata;
  }

  /** a settles now on its channel: a claim for all it owes; resolves once b took it. */
  async function claim(channelId: string, nonce: bigint): Promise<void> {
    const received = nextSettlementEvent(b, 'claim-received', (e) => e.nonce === nonce);
    const res = await call(a, 'POST', `/admin/channels/${channelId}/settle`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.claimSent, true);
    await received;
  }

  let pair: AdminPair;

  before(async () => {
    pair = await startAdminPair(ADMIN, 'admin-channel-ops-');
    ({ chain, a, b, reader, viem } = pair);
  });

  after(() => pair?.stop());

  it('every operation asks for the API key', async () => {
    const id = UNKNOWN_ID;
    const requests: [method: 'GET' | 'POST', path: string, body?: unknown][] = [
      ['GET', `/admin/channels/${id}`],
      ['POST', `/admin/channels/${id}/deposit`, { amount: '1' }],
      ['POST', `/admin/channels/${id}/close`, {}],
      ['POST', `/admin/channels/${id}/settle`, {}],
      ['GET', '/admin/wallet'],
      ['POST', '/admin/wallet/withdraw', { to: SINK, amount: '1' }],
    ];
    for (const [method, path, body] of requests) {
      assertError(await call(b, method, path, body, null), 401);
      assertError(await call(b, method, path, body, 'wrong'), 401);
    }
    assert.equal(await tokens(SINK), 0n);
  });

  it('a channel id the node does not know: 404; a malformed one: 400', async () => {
    assertError(await call(a, 'GET', `/admin/channels/${UNKNOWN_ID}`), 404, /no channel/);
    assertError(await call(a, 'POST', `/admin/channels/${UNKNOWN_ID}/deposit`, { amount: '5' }), 404);
    assertError(await call(a, 'POST', `/admin/channels/${UNKNOWN_ID}/close`), 404);
    assertError(await call(a, 'POST', `/admin/channels/${UNKNOWN_ID}/settle`), 404);
    for (const bad of ['0x12', 'abc', `0x${'zz'.repeat(32)}`, `${UNKNOWN_ID}00`])
      assertError(await call(a, 'GET', `/admin/channels/${bad}`), 400);
  });

  it('deposit tops up the open channel, on chain too; bad amounts are 400', async () => {
    const opened = await open(5_000n * FACTOR);
    const before = await tokens(addrA);
    const res = await call(a, 'POST', `/admin/channels/${opened.channelId}/deposit`, {
      amount: (1_000n * FACTOR).toString(),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { ...opened, deposit: (6_000n * FACTOR).toString() });
    assert.equal((await reader.getChannel(opened.channelId as Hex))?.deposit, 6_000n * FACTOR);
    assert.equal(before - (await tokens(addrA)), 1_000n * FACTOR);
    for (const body of [{ amount: 5 }, { amount: '-1' }, { amount: '0' }, {}, { amount: '1', x: 1 }])
      assertError(await call(a, 'POST', `/admin/channels/${opened.channelId}/deposit`, body), 400);
    assertError(
      await call(a, 'POST', `/admin/channels/${opened.channelId}/close`, { cooperative: 'no' }),
      400,
    );
    assertError(await call(a, 'POST', `/admin/channels/${opened.channelId}/settle`, { now: true }), 400);
    assert.equal((await reader.getChannel(opened.channelId as Hex))?.deposit, 6_000n * FACTOR);
    assert.deepEqual((await call(a, 'GET', `/admin/channels/${opened.channelId}`)).body, res.body);
  });

  it('settle now: the payer sends a claim; the payee redeems it on chain; a deposit into the peer’s channel is 409', async () => {
    const channelId = (await a.getChannelState('b')).outgoing?.channelId as string;
    await owe(700n);
    await claim(channelId, 1n);
    const incoming = (await call(b, 'GET', `/admin/channels/${channelId}`)).body;
    assert.equal(incoming.direction, 'incoming');
    assert.equal(incoming.transferred, (700n * FACTOR).toString());
    assert.equal(incoming.redeemed, '0');

    // Nothing owed any more: settle now sends nothing.
    const again = await call(a, 'POST', `/admin/channels/${channelId}/settle`);
    assert.equal(again.status, 200);
    assert.equal(again.body.claimSent, false);

    const payeeBefore = await tokens(addrB);
    const redeemed = await call(b, 'POST', `/admin/channels/${channelId}/settle`);
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    assert.equal(redeemed.body.claimSent, false);
    assert.equal((redeemed.body.channel as Json).redeemed, (700n * FACTOR).toString());
    assert.equal((await reader.getChannel(channelId as Hex))?.redeemed, 700n * FACTOR);
    assert.equal((await tokens(addrB)) - payeeBefore, 700n * FACTOR);

    assertError(await call(b, 'POST', `/admin/channels/${channelId}/deposit`, { amount: '1' }), 409);
  });

  it('close (cooperative): settled at once; the payer gets the rest of the deposit back', async () => {
    const channelId = (await a.getChannelState('b')).outgoing?.channelId as string;
    const payerBefore = await tokens(addrA);
    const res = await call(a, 'POST', `/admin/channels/${channelId}/close`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'settled');
    assert.equal(await reader.getChannel(channelId as Hex), undefined);
    assert.equal((await tokens(addrA)) - payerBefore, 6_000n * FACTOR - 700n * FACTOR);
    // Wrong state: everything on a settled channel is a conflict.
    assertError(await call(a, 'POST', `/admin/channels/${channelId}/close`), 409, /settled/);
    assertError(await call(a, 'POST', `/admin/channels/${channelId}/settle`), 409, /settled/);
    assertError(await call(a, 'POST', `/admin/channels/${channelId}/deposit`, { amount: '1' }), 409);
  });

  it('close (unilateral): closing; settle now waits for the challenge period, then settles', async () => {
    const opened = await open(3_000n * FACTOR);
    const id = opened.channelId;
    await owe(500n);
    await claim(id, 1n);
    const res = await call(a, 'POST', `/admin/channels/${id}/close`, { cooperative: false });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'closing');
    const onChain = await reader.getChannel(id as Hex);
    assert.equal(onChain?.status, 'closing');
    assert.equal(res.body.settleableAt, String(onChain?.settleableAt));

    assertError(await call(a, 'POST', `/admin/channels/${id}/close`), 409, /closing/);
    assertError(await call(a, 'POST', `/admin/channels/${id}/deposit`, { amount: '1' }), 409, /closing/);
    assertError(await call(a, 'POST', `/admin/channels/${id}/settle`), 409, /challenge period .* ends at/);
    assert.equal((await reader.getChannel(id as Hex))?.status, 'closing');

    // The payee redeems inside the period (settle now on its side), then the period passes.
    const redeemed = await call(b, 'POST', `/admin/channels/${id}/settle`);
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    await chain.advance(CHALLENGE_PERIOD_S + 1);
    const payerBefore = await tokens(addrA);
    const settled = await call(a, 'POST', `/admin/channels/${id}/settle`);
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal((settled.body.channel as Json).status, 'settled');
    assert.equal(await reader.getChannel(id as Hex), undefined);
    assert.equal((await tokens(addrA)) - payerBefore, 3_000n * FACTOR - 500n * FACTOR);
  });

  it('close of the peer’s channel: the payee closes with its proof, settled at once for both', async () => {
    const opened = await open(2_000n * FACTOR);
    const id = opened.channelId;
    await owe(300n);
    await claim(id, 1n);
    const payeeBefore = await tokens(addrB);
    const payerBefore = await tokens(addrA);
    const res = await call(b, 'POST', `/admin/channels/${id}/close`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.direction, 'incoming');
    assert.equal(res.body.status, 'settled');
    assert.equal(await reader.getChannel(id as Hex), undefined);
    assert.equal((await tokens(addrB)) - payeeBefore, 300n * FACTOR);
    assert.equal((await tokens(addrA)) - payerBefore, 1_700n * FACTOR);
    assertError(await call(b, 'POST', `/admin/channels/${id}/close`), 409, /settled/);
  });

  it('wallet: balances as the chain has them; withdraw sends tokens; too much is 409, bad input 400', async () => {
    const wallet = await call(b, 'GET', '/admin/wallet');
    assert.equal(wallet.status, 200);
    const ethB = await viem.getBalance({ address: addrB });
    assert.deepEqual(wallet.body, {
      balances: [
        {
          chain: 'base',
          chainId: 8453,
          address: addrB,
          token: chain.token,
          tokenBalance: (await tokens(addrB)).toString(),
          ethBalance: ethB.toString(),
        },
      ],
    });

    const before = await tokens(addrB);
    const res = await call(b, 'POST', '/admin/wallet/withdraw', { to: SINK, amount: '12345' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.to, SINK);
    assert.equal(res.body.amount, '12345');
    assert.match(String(res.body.txHash), /^0x[0-9a-f]{64}$/);
    assert.equal(await tokens(SINK), 12_345n);
    assert.equal(await tokens(addrB), before - 12_345n);
    assert.equal(res.body.tokenBalance, (before - 12_345n).toString());
    const receipt = await viem.getTransactionReceipt({ hash: res.body.txHash as Hex });
    assert.equal(receipt.status, 'success');

    assertError(
      await call(b, 'POST', '/admin/wallet/withdraw', { to: SINK, amount: (before - 12_344n).toString() }),
      409,
      /holds/,
    );
    const bad: unknown[] = [
      { to: 'nowhere', amount: '1' },
      { to: SINK, amount: '1', chain: 'mars' },
      { to: SINK, amount: '0' },
      { to: SINK, amount: 1 },
      { to: SINK },
      { amount: '1' },
      { to: SINK, amount: '1', extra: 1 },
      { to: SINK, amount: '1'.padEnd(41, '0') },
    ];
    for (const body of bad) assertError(await call(b, 'POST', '/admin/wallet/withdraw', body), 400);
    assert.equal(await tokens(SINK), 12_345n);
  });
});
