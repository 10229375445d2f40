/**
 * The gateway and settlement on one chain with one key (issue 18): both send transactions from
 * the node's key, through the node's one chain client for that chain, so they cannot race for a
 * nonce. A channel is opened (approve, open: settlement's transactions) while x402 clients pay
 * (transferWithAuthorization: the gateway's), all at once; every transaction lands.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, http } from 'viem';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';
import { addressOf, settlementConfig, startTestChain, type TestChain } from '../settlement/chain-fixture.js';
import {
  CHAIN_ID,
  GATEWAY_KEY,
  gatewaySection,
  PAYER_KEY,
  PRICE,
  type RpcProxy,
  startRpcProxy,
  walletOf,
} from './fixture.js';

const AGENT_KEY = ANVIL_KEYS[2];
const PAID_REQUESTS = 6;

let chain: TestChain;
let dir: string;
let g: ConnectorNode;
let a: ConnectorNode;
/** The gateway's configured RPC: a proxy that holds transactions until the channel is open. */
let proxy: RpcProxy;

before(async () => {
  chain = await startTestChain(CHAIN_ID);
  dir = await mkdtemp(join(tmpdir(), 'gateway-key-'));
  proxy = await startRpcProxy(chain.anvil.rpcUrl);
  a = makeNode(
    baseConfig('agent', {
      peers: [{ id: 'g', evmAddress: addressOf(GATEWAY_KEY) }],
      ...settlementConfig(chain, AGENT_KEY, join(dir, 'a.json')),
    }),
    { BTP_PEER_G_SECRET: 'ga' },
  );
  a.setPacketHandler((req) => ({ accept: true, data: Buffer.from(`paid ${req.amount}`).toString('base64') }));
  await a.start();
  g = makeNode(
    baseConfig('g', {
      mode: 'gateway',
      peers: [{ id: 'agent', url: btpUrl(a), authToken: 'ga', evmAddress: addressOf(AGENT_KEY) }],
      routes: [{ prefix: 'g.agent', nextHop: 'agent' }],
      ...settlementConfig(chain, GATEWAY_KEY, join(dir, 'g.json')),
      // Another URL for the same chain: the gateway still sends through settlement's client.
      gateway: { ...gatewaySection(chain, dir), rpcUrl: proxy.url },
    } as never),
  );
  await g.start();
  await waitConnected(g, 'agent');
  await Promise.all([g.settlementReady(), a.settlementReady()]);
});

after(async () => {
  await g?.stop();
  await a?.stop();
  await proxy?.close();
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gateway and settlement share the key', () => {
  it("a channel opened while x402 payments settle: every transaction from the node's key lands", async () => {
    const viem = createPublicClient({ transport: http(chain.anvil.rpcUrl) });
    const key = addressOf(GATEWAY_KEY);
    const nonceBefore = await viem.getTransactionCount({ address: key });
    const pay = wrapFetchWithPayment(fetch, walletOf(PAYER_KEY, chain.anvil.rpcUrl) as never, 10n ** 18n);
    const gatewayBefore = await chain.balanceOf(key);
    // The channel opens once the gateway sends its first settlement, or once the first paid
    // request is answered. A gateway client of its own would send through the proxy: its
    // transaction (nonce taken) is held there until the channel is open, settlement's
    // transactions take the same nonce, and it fails ("nonce too low"). The shared client
    // never sends through here, and its queue orders both.
    let startOpening!: () => void;
    const opening = new Promise<void>((resolve) => {
      startOpening = resolve;
    }).then(() => g.openChannel('agent', 10n ** 6n));
    proxy.onSend = () => {
      startOpening();
      return opening.catch(() => undefined);
    };
    const [opened, ...paid] = await Promise.allSettled([
      opening,
      ...Array.from({ length: PAID_REQUESTS }, () =>
        pay(`${g.gatewayUrl}/weather`).finally(() => startOpening()),
      ),
    ]);
    assert.equal(opened?.status, 'fulfilled', opened?.status === 'rejected' ? String(opened.reason) : '');
    for (const p of paid) {
      assert.equal(p.status, 'fulfilled', p.status === 'rejected' ? String(p.reason) : '');
      if (p.status !== 'fulfilled') continue;
      assert.equal(p.value.status, 200, await p.value.clone().text());
      const receipt = decodeXPaymentResponse(p.value.headers.get('x-payment-response')!);
      assert.equal(receipt.success, true);
      const mined = await viem.getTransactionReceipt({ hash: receipt.transaction as `0x${string}` });
      assert.equal(mined.status, 'success');
      assert.equal(mined.from.toLowerCase(), key.toLowerCase(), 'sent from the node key');
    }
    assert.equal(proxy.sendsSeen, 0, "the gateway sent through settlement's client of the chain");
    const state = await g.getChannelState('agent');
    assert.equal(state.outgoing?.status, 'open');
    // Every transaction went out from the one key in sequence: no nonce was used twice or skipped.
    const sent = (await viem.getTransactionCount({ address: key })) - nonceBefore;
    assert.ok(sent >= PAID_REQUESTS + 1, `${sent} transactions from the node's key`);
    // The x402 payments reached the node's key; the channel deposit left it.
    const deposit = BigInt(state.outgoing?.deposit ?? '0');
    assert.ok(deposit > 0n);
    assert.equal(await chain.balanceOf(key), gatewayBefore + BigInt(PAID_REQUESTS) * PRICE - deposit);
  });
});
