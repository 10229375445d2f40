/**
 * GET and POST /admin/channels on real nodes settling on anvil (chain id 8453): the answers,
 * their error statuses, and the channel on chain they describe.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import type { ChannelMetadata, ConnectorNode } from '../../src/index.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import { ChainClient, TokenNetworkClient } from '../../src/settlement/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';
import {
  addressOf,
  POLL_MS,
  settlementConfig,
  startTestChain,
  type TestChain,
} from '../settlement/chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const ADMIN = { enabled: true, port: 0 } as const;

async function api(
  node: ConnectorNode,
  method: 'GET' | 'POST',
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.adminPort}/admin/channels`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function assertError(res: { status: number; body: Record<string, unknown> }, status: number): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
  assert.equal(typeof res.body.error, 'string');
  assert.ok(typeof res.body.message === 'string' && res.body.message.length > 0);
}

describe('/admin/channels without settlement', () => {
  let plain: ConnectorNode;
  before(async () => {
    plain = makeNode(baseConfig('plain', { adminApi: ADMIN, peers: [{ id: 'b' }] }), {
      BTP_PEER_B_SECRET: 's',
    });
    await plain.start();
  });
  after(async () => {
    await plain?.stop();
  });

  it('GET and POST answer 503 with {error, message}', async () => {
    assertError(await api(plain, 'GET'), 503);
    assertError(await api(plain, 'POST', { peerId: 'b', amount: '1000000' }), 503);
  });

  it('/metrics has no settlement series', async () => {
    const text = await (await fetch(`http://127.0.0.1:${plain.healthPort}/metrics`)).text();
    assert.match(text, /^connector_packets_in_flight 0$/m);
    assert.doesNotMatch(text, /connector_settlement_/);
  });
});

describe('/admin/channels on anvil', () => {
  let chain: TestChain;
  let dir: string;
  let a: ConnectorNode;
  let b: ConnectorNode;
  let network: TokenNetworkClient;
  let opened: ChannelMetadata;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'admin-channels-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json')),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    await b.start();
    a = makeNode(
      baseConfig('a', {
        adminApi: ADMIN,
        peers: [{ id: 'b', url: btpUrl(b), authToken: 's', evmAddress: addressOf(KEY_B) }, { id: 'c' }],
        ...settlementConfig(chain, KEY_A, join(dir, 'a.json')),
      }),
      { BTP_PEER_C_SECRET: 'c' },
    );
    await a.start();
    await waitConnected(a, 'b');
    await a.settlementReady();
    const client = await ChainClient.connect({
      rpcUrl: chain.anvil.rpcUrl,
      chainId: chain.chainId,
      signer: EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]),
      pollingIntervalMs: POLL_MS,
    });
    network = new TokenNetworkClient(client, chain.tokenNetwork);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET lists no channels before one is opened', async () => {
    const res = await api(a, 'GET');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { channels: [] });
  });

  it('POST opens an outgoing channel to the peer and answers 201 with it', async () => {
    const tokensBefore = await chain.balanceOf(addressOf(KEY_A));
    const res = await api(a, 'POST', { peerId: 'b', amount: '1000000' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    opened = res.body as unknown as ChannelMetadata;
    assert.match(opened.channelId, /^0x[0-9a-f]{64}$/i);
    assert.deepEqual(opened, {
      channelId: opened.channelId,
      peerId: 'b',
      chain: 'base',
      chainId: 8453,
      direction: 'outgoing',
      counterparty: addressOf(KEY_B),
      tokenNetwork: chain.tokenNetwork,
      status: 'open',
      deposit: '1000000',
      transferred: '0',
      nonce: '0',
      acknowledgedNonce: '0',
      settleableAt: '0',
    });
    assert.equal(tokensBefore - (await chain.balanceOf(addressOf(KEY_A))), 1_000_000n);
    const onChain = await network.getChannel(opened.channelId as Hex);
    assert.equal(onChain?.deposit, 1_000_000n);
    assert.equal(onChain?.sender, addressOf(KEY_A));
    assert.equal(onChain?.receiver, addressOf(KEY_B));
    assert.equal(onChain?.status, 'open');
  });

  it('POST again deposits into the same channel', async () => {
    const res = await api(a, 'POST', { peerId: 'b', amount: '1000000' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body, { ...opened, deposit: '2000000' });
    assert.equal((await network.getChannel(opened.channelId as Hex))?.deposit, 2_000_000n);
    assert.equal(await network.channelIdOf(addressOf(KEY_A), addressOf(KEY_B)), opened.channelId);
  });

  it('GET lists the channel, and getChannelState agrees', async () => {
    const res = await api(a, 'GET');
    assert.equal(res.status, 200);
    const expected = { ...opened, deposit: '2000000' };
    assert.deepEqual(res.body, { channels: [expected] });
    assert.deepEqual(await a.getChannelState('b'), { peerId: 'b', outgoing: expected });
  });

  it('POST for an unknown peer: 404', async () => {
    assertError(await api(a, 'POST', { peerId: 'nobody', amount: '1000000' }), 404);
  });

  it('POST for a peer without an evmAddress: 409', async () => {
    assertError(await api(a, 'POST', { peerId: 'c', amount: '1000000' }), 409);
  });

  it('bad bodies: 400, and nothing moves on chain', async () => {
    const bodies: unknown[] = [
      { peerId: 'b', amount: 1000000 },
      { peerId: 'b', amount: '1e6' },
      { peerId: 'b', amount: '-5' },
      { peerId: 'b', amount: '01' },
      { peerId: 'b', amount: '0' },
      { peerId: 'b', amount: '' },
      { peerId: 'b' },
      { amount: '1000000' },
      { peerId: 'b', amount: '1000000', chain: 'base' },
      { peerId: 'b', amount: '1000000', extra: true },
    ];
    for (const body of bodies) assertError(await api(a, 'POST', body), 400);
    assert.equal((await network.getChannel(opened.channelId as Hex))?.deposit, 2_000_000n);
    assert.deepEqual((await api(a, 'GET')).body, { channels: [{ ...opened, deposit: '2000000' }] });
  });

  it('/metrics has the settlement series of the node', async () => {
    const text = await (await fetch(`http://127.0.0.1:${a.healthPort}/metrics`)).text();
    assert.match(text, /^connector_settlement_claims_total\{direction="sent"\} 0$/m);
    assert.match(text, /^connector_settlement_chain_errors_total\{kind="revert"\} 0$/m);
  });
});
