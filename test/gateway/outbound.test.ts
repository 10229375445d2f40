/**
 * Acceptance of Interledger out to x402 (issue 18): an ILP sender (`sendPacket`) buys a resource
 * from an unmodified `x402-express` server whose facilitator is the `x402` package's own
 * verify/settle code, on anvil (chain id 84532, network `base-sepolia`). The server is paid on
 * chain by the gateway's key; the sender gets the body in the Fulfill.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address } from 'viem';
import { paymentMiddleware } from 'x402-express';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, dataLock, makeNode, waitConnected } from '../helpers/nodes.js';
import { addressOf, startTestChain, type TestChain } from '../settlement/chain-fixture.js';
import { CHAIN_ID, GATEWAY_KEY, gatewaySection, portOf, startFacilitator } from './fixture.js';

const require = createRequire(import.meta.url);
type Handler = (req: unknown, res: { type(t: string): { send(body: string): void } }) => void;
interface ExpressApp {
  use(middleware: unknown): void;
  get(path: string, handler: Handler): void;
  listen(port: number, host: string, done: () => void): Server;
}
const express = require('express') as () => ExpressApp;

const SELLER = '0x1111111111111111111111111111111111111111' as Address;
/** 2·10^12 base units of the 18-decimals TestToken = 2000 ILP units at scale 9. */
const PRICE = 2n * 10n ** 12n;
const ILP_PRICE = 2000n;
const JOKE = 'why did the packet cross the ledger';

let chain: TestChain;
let dir: string;
let facilitator: Server;
let seller: Server;
let sellerHost: string;
/** A misbehaving server: never answers (/hang), 402 with garbage (/garbage), a body too large for ILP (/big). */
let rogue: Server;
let rogueHost: string;
const hanging = new Set<import('node:http').ServerResponse>();
let g: ConnectorNode;
let s: ConnectorNode;

function requestBytes(url: string): Buffer {
  return Buffer.from(`GET ${url} HTTP/1.1\r\naccept: text/plain\r\n\r\n`, 'latin1');
}

function buy(url: string, amount: bigint, data = requestBytes(url)) {
  return s.sendPacket({
    destination: 'g.g.x402',
    amount,
    executionCondition: dataLock(data),
    expiresAt: new Date(Date.now() + 20_000),
    data,
  });
}

before(async () => {
  chain = await startTestChain(CHAIN_ID);
  dir = await mkdtemp(join(tmpdir(), 'gateway-out-'));
  facilitator = (await startFacilitator(chain.anvil.rpcUrl)).server;
  const app = express();
  app.use(
    paymentMiddleware(
      SELLER,
      {
        'GET /joke': {
          price: {
            amount: PRICE.toString(),
            asset: { address: chain.token, decimals: 18, eip712: { name: 'Test Token', version: '2' } },
          },
          network: 'base-sepolia',
        },
      },
      { url: `http://127.0.0.1:${portOf(facilitator)}` },
    ),
  );
  app.get('/joke', (_req, res) => res.type('text/plain').send(JOKE));
  app.get('/free', (_req, res) => res.type('text/plain').send('free'));
  seller = await new Promise<Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  sellerHost = `127.0.0.1:${portOf(seller)}`;
  rogue = createServer((req, res) => {
    if (req.url === '/hang') hanging.add(res);
    else if (req.url === '/garbage')
      res.writeHead(402, { 'content-type': 'application/json' }).end('{"accepts": 7');
    else if (req.url === '/odd-402')
      res
        .writeHead(402, { 'content-type': 'application/json' })
        .end(JSON.stringify({ x402Version: 1, accepts: [{ scheme: 'upto' }] }));
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(40_000));
  });
  await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
  rogueHost = `127.0.0.1:${portOf(rogue)}`;
  await startNodes();
});

/** G (the gateway, its store and spend log in `dir`) and the sender S peered with it. */
async function startNodes(): Promise<void> {
  g = makeNode(
    baseConfig('g', {
      mode: 'gateway',
      peers: [{ id: 's' }],
      settlement: { ledgerDurability: 'off', enabled: false },
      settlementInfra: { privateKey: GATEWAY_KEY },
      explorer: { enabled: true, port: 0, storePath: join(dir, 'events.db') },
      gateway: {
        ...gatewaySection(chain, dir),
        routes: [],
        // Room for the two purchases below and no third.
        outbound: {
          allowedHosts: [sellerHost, rogueHost],
          requestTimeoutMs: 1000,
          dailySpendCap: 2n * PRICE + 1n,
        },
      },
    } as never),
    { BTP_PEER_S_SECRET: 'sg' },
  );
  await g.start();
  s = makeNode(
    baseConfig('s', {
      peers: [{ id: 'g', url: btpUrl(g), authToken: 'sg' }],
      routes: [{ prefix: 'g.g', nextHop: 'g' }],
    }),
  );
  await s.start();
  await waitConnected(s, 'g');
}

after(async () => {
  await s?.stop();
  await g?.stop();
  for (const res of hanging) res.destroy();
  rogue?.closeAllConnections();
  await new Promise((r) => rogue?.close(r));
  await new Promise((r) => seller?.close(r));
  await new Promise((r) => facilitator?.close(r));
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gateway: Interledger out to x402', () => {
  it('sendPacket buys a resource from an x402-express server; the server is paid on chain', async () => {
    const gateway = addressOf(GATEWAY_KEY);
    const [gatewayBefore, sellerBefore] = await Promise.all([
      chain.balanceOf(gateway),
      chain.balanceOf(SELLER),
    ]);
    const x402Before = (await g.getGatewayAccount())!;
    const sBefore = await g.getBalance('s');
    const reply = await buy(`http://${sellerHost}/joke`, ILP_PRICE);
    assert.equal(reply.type, 13, reply.type === 14 ? `${reply.code} ${reply.message}` : '');
    // Booked from the sender's peer account to the gateway's x402 account (the tokens left on chain).
    const x402After = (await g.getGatewayAccount())!;
    assert.equal(x402After.account, 'x402:base-sepolia');
    assert.equal(x402After.balance.creditsPosted - x402Before.balance.creditsPosted, ILP_PRICE);
    assert.equal(x402After.balance.debitsPosted, x402Before.balance.debitsPosted);
    const sAfter = await g.getBalance('s');
    assert.equal(sBefore.netBalance - sAfter.netBalance, ILP_PRICE, "the sender's account paid it");
    const response = Buffer.from(reply.data).toString('latin1');
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(response, /\r\nx-payment-response: [A-Za-z0-9+/=]+\r\n/);
    assert.ok(response.endsWith(`\r\n\r\n${JOKE}`), response);
    assert.equal(await chain.balanceOf(SELLER), sellerBefore + PRICE);
    assert.equal(await chain.balanceOf(gateway), gatewayBefore - PRICE);
  });

  it('an amount below the price is a reject whose data says the price; nothing is paid', async () => {
    const sellerBefore = await chain.balanceOf(SELLER);
    const x402Before = (await g.getGatewayAccount())!;
    const reply = await buy(`http://${sellerHost}/joke`, ILP_PRICE - 1n);
    assert.deepEqual((await g.getGatewayAccount())!.balance, x402Before.balance, 'nothing booked');
    assert.equal(reply.type, 14);
    if (reply.type !== 14) return;
    assert.equal(reply.code, 'F04');
    const said = JSON.parse(Buffer.from(reply.data).toString('utf8')) as {
      price: string;
      amountRequired: string;
    };
    assert.equal(said.price, PRICE.toString());
    assert.equal(said.amountRequired, ILP_PRICE.toString());
    assert.equal(await chain.balanceOf(SELLER), sellerBefore);
  });

  it('refuses hosts outside the allowlist and data that is no HTTP request; serves a free resource', async () => {
    const other = await buy('http://127.0.0.1:1/joke', ILP_PRICE);
    assert.equal(other.type === 14 && other.code, 'F02');
    const garbage = await buy(`http://${sellerHost}/joke`, ILP_PRICE, Buffer.from('hello'));
    assert.equal(garbage.type === 14 && garbage.code, 'F01');
    const data = requestBytes(`http://${sellerHost}/joke`);
    const wrongLock = await s.sendPacket({
      destination: 'g.g.x402',
      amount: ILP_PRICE,
      executionCondition: Buffer.alloc(32, 7),
      expiresAt: new Date(Date.now() + 20_000),
      data,
    });
    assert.equal(
      wrongLock.type === 14 && wrongLock.code,
      'F99',
      'a condition the gateway cannot fulfill: refused before paying',
    );
    const free = await buy(`http://${sellerHost}/free`, 1n);
    assert.equal(free.type, 13);
    assert.ok(free.type === 13 && Buffer.from(free.data).toString('latin1').endsWith('\r\n\r\nfree'));
  });

  it('a server that hangs, answers garbage, asks another scheme or sends too much is a clean reject; the gateway keeps serving', async () => {
    const gateway = addressOf(GATEWAY_KEY);
    const before = await chain.balanceOf(gateway);
    const cases: [string, string][] = [
      ['/hang', 'T00'],
      ['/garbage', 'F99'],
      ['/odd-402', 'F99'],
      ['/big', 'F99'],
    ];
    for (const [path, code] of cases) {
      const reply = await buy(`http://${rogueHost}${path}`, ILP_PRICE);
      assert.equal(reply.type === 14 && reply.code, code, path);
    }
    assert.equal(await chain.balanceOf(gateway), before, 'nothing paid');
    const again = await buy(`http://${sellerHost}/joke`, ILP_PRICE);
    assert.equal(again.type, 13);
    // The day's cap is reached now: the next purchase is refused before anything is paid.
    const capped = await buy(`http://${sellerHost}/joke`, ILP_PRICE);
    assert.equal(capped.type === 14 && capped.code, 'T04');
    assert.equal(await chain.balanceOf(gateway), before - PRICE);
  });

  it('/metrics counts the outbound requests and the tokens paid out', async () => {
    const text = await (await fetch(`http://127.0.0.1:${g.healthPort}/metrics`)).text();
    const value = (line: string) => Number(new RegExp(`^${line} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    assert.equal(value('connector_gateway_requests_total\\{direction="outbound",outcome="paid"\\}'), 2, text);
    assert.equal(value('connector_gateway_tokens_total\\{direction="out"\\}'), 2 * Number(PRICE));
    assert.ok(value('connector_gateway_requests_total\\{direction="outbound",outcome="refused"\\}') >= 7);
  });

  it('the Explorer shows each payment to an x402 server with its transaction', async () => {
    type Page = { events: { type: string; amount: string; destination: string; txHash?: string }[] };
    let page: Page = { events: [] };
    // The recorder flushes every 200 ms: read until both payments are stored (bounded).
    for (let i = 0; i < 50 && page.events.length < 2; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      page = (await (
        await fetch(`http://127.0.0.1:${g.explorerPort}/api/events?types=x402.paid`)
      ).json()) as Page;
    }
    assert.equal(page.events.length, 2);
    for (const e of page.events) {
      assert.equal(e.amount, PRICE.toString());
      assert.equal(e.destination, `http://${sellerHost}/joke`);
      assert.match(e.txHash ?? '', /^0x[0-9a-f]{64}$/);
    }
  });

  it("the day's spend survives a restart: the cap still refuses, nothing more is paid", async () => {
    const gateway = addressOf(GATEWAY_KEY);
    const before = await chain.balanceOf(gateway);
    await s.stop();
    await g.stop();
    await startNodes();
    const capped = await buy(`http://${sellerHost}/joke`, ILP_PRICE);
    assert.equal(capped.type === 14 && capped.code, 'T04', 'the restarted gateway remembers the day');
    assert.equal(await chain.balanceOf(gateway), before);
    const free = await buy(`http://${sellerHost}/free`, 1n);
    assert.equal(free.type, 13, 'free resources are still served');
  });
});
