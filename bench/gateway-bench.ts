/**
 * The x402 gateway (issue 18), both directions: paid requests per second through the gateway and
 * the latency it adds. Not part of the test run.
 *
 *   npm run build && node dist/bench/gateway-bench.js [requests] [inFlight...]
 *
 * The network of test/gateway/fixture.ts on anvil (chain id 84532, automine): an unmodified
 * `x402-fetch` client pays gateway G, which sends the request over ILP to agent A behind
 * connector M and settles the authorization on chain before it answers. Every process is this
 * one (the nodes, anvil aside): the figures are the whole path's cost on one machine.
 *
 * Rows:
 *   - `ilp only`: G sends the same Prepare to the agent itself (sendPacket), no x402: the floor.
 *   - `x402 paid`: one paid request as a client makes it: the 402 answer, the signed
 *     authorization, G's checks (signature, balance and nonce read from the chain), the ILP
 *     round trip, the transferWithAuthorization transaction and its receipt.
 * "Added" is the paid request's p50 minus the ILP round trip's p50.
 *
 * ILP -> HTTP: sender S sends a Prepare to `g.g.x402` naming an unmodified `x402-express` server
 * whose facilitator runs the `x402` package's own verify/settle (as test/gateway/outbound.test.ts):
 *   - `http free`: G fetches a free page of the same server for S (no 402): the floor;
 *   - `http paid`: G gets the 402, signs an authorization, the server's facilitator verifies and
 *     settles it on chain, G fulfills with the body.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, createWalletClient, defineChain, http, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { baseSepolia } from 'viem/chains';
import { settle, verify } from 'x402/facilitator';
import { paymentMiddleware } from 'x402-express';
import { wrapFetchWithPayment } from 'x402-fetch';
import { CHAIN_ID, GATEWAY_KEY, gatewaySection, startGatewayNet } from '../test/gateway/fixture.js';
import { baseConfig, btpUrl, dataLock, makeNode, waitConnected } from '../test/helpers/nodes.js';
import { ANVIL_KEYS } from '../test/settlement/anvil.js';
import { startTestChain } from '../test/settlement/chain-fixture.js';

interface Row {
  what: string;
  inFlight: number;
  done: number;
  failed: number;
  perSec: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function measure(
  what: string,
  total: number,
  inFlight: number,
  one: () => Promise<boolean>,
): Promise<Row> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const t = performance.now();
      const ok = await one().catch(() => false);
      if (ok) latencies.push(performance.now() - t);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    what,
    inFlight,
    done: latencies.length,
    failed,
    perSec: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

function printRows(rows: Row[], floor: string, paidName: string, inFlights: number[]): void {
  console.log('| path | in flight | done | failed | per s | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.what} | ${r.inFlight} | ${r.done} | ${r.failed} | ${r.perSec.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    );
  for (const n of inFlights) {
    const a = rows.find((r) => r.what === floor && r.inFlight === n)!;
    const b = rows.find((r) => r.what === paidName && r.inFlight === n)!;
    console.log(`added by x402 at ${n} in flight: p50 ${(b.p50 - a.p50).toFixed(2)} ms`);
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200);
  const depths = process.argv.slice(3).map(Number);
  const inFlights = depths.length > 0 ? depths : [1, 4];
  console.log('\n### HTTP -> ILP (x402-fetch client -> gateway -> connector -> agent)\n');
  await inbound(total, inFlights);
  console.log('\n### ILP -> HTTP (sendPacket -> gateway -> x402-express server)\n');
  await outbound(total, inFlights);
}

async function inbound(total: number, inFlights: number[]): Promise<void> {
  const net = await startGatewayNet();
  try {
    const pay = wrapFetchWithPayment(fetch, net.payer as never, 10n ** 18n);
    const paid = async () => {
      const res = await pay(net.url('/weather'));
      const body = await res.text();
      return res.status === 200 && body.startsWith('sunny');
    };
    const data = Buffer.from('GET /weather HTTP/1.1\r\n\r\n', 'latin1');
    const ilp = async () => {
      const reply = await net.g.sendPacket({
        destination: 'g.agent.weather',
        amount: 1000n,
        executionCondition: dataLock(data),
        expiresAt: new Date(Date.now() + 30_000),
        data,
      });
      return reply.type === 13;
    };
    // Warm-up: connections, the JIT, the first transaction.
    await measure('warm-up', 10, 1, ilp);
    await measure('warm-up', 5, 1, paid);
    const before = await net.balance(net.gatewayAddress);
    const rows: Row[] = [];
    for (const n of inFlights) {
      rows.push(await measure('ilp only', total, n, ilp));
      rows.push(await measure('x402 paid', total, n, paid));
    }
    const received = (await net.balance(net.gatewayAddress)) - before;
    printRows(rows, 'ilp only', 'x402 paid', inFlights);
    const paidDone = rows.filter((r) => r.what === 'x402 paid').reduce((s, r) => s + r.done, 0);
    console.log(`gateway received ${received} token base units for ${paidDone} paid requests`);
  } finally {
    await net.stop();
  }
}

const require = createRequire(import.meta.url);
interface ExpressApp {
  use(middleware: unknown): void;
  get(
    path: string,
    handler: (req: unknown, res: { type(t: string): { send(body: string): void } }) => void,
  ): void;
  listen(port: number, host: string, done: () => void): Server;
}
const SELLER = '0x1111111111111111111111111111111111111111' as Address;
/** 2·10^12 base units of the 18-decimals TestToken = 2000 ILP units at scale 9. */
const OUT_PRICE = 2n * 10n ** 12n;
const OUT_ILP_PRICE = 2000n;

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function outbound(total: number, inFlights: number[]): Promise<void> {
  const chain = await startTestChain(CHAIN_ID);
  const dir = await mkdtemp(join(tmpdir(), 'bench-gateway-out-'));
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const rpcUrl = chain.anvil.rpcUrl;
    const anvilSepolia = defineChain({ ...baseSepolia, rpcUrls: { default: { http: [rpcUrl] } } });
    const facilitatorWallet = createWalletClient({
      account: privateKeyToAccount(ANVIL_KEYS[2]),
      chain: anvilSepolia,
      transport: http(rpcUrl),
    }).extend(publicActions);
    let settling: Promise<unknown> = Promise.resolve();
    const facilitator = await listen(
      createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const { paymentPayload, paymentRequirements } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        try {
          // x402's settle takes the account's next nonce per call: one at a time, as a
          // facilitator with one key must (concurrent calls fail with "nonce too low").
          let result: unknown;
          if (req.url === '/settle') {
            const mine = settling
              .catch(() => undefined)
              .then(() => settle(facilitatorWallet as never, paymentPayload, paymentRequirements));
            settling = mine;
            result = await mine;
          } else result = await verify(facilitatorWallet as never, paymentPayload, paymentRequirements);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
        } catch (err) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
        }
      }),
    );
    closers.push(() => new Promise((r) => facilitator.close(r)));
    const app = (require('express') as () => ExpressApp)();
    app.use(
      paymentMiddleware(
        SELLER,
        {
          'GET /joke': {
            price: {
              amount: OUT_PRICE.toString(),
              asset: { address: chain.token, decimals: 18, eip712: { name: 'Test Token', version: '2' } },
            },
            network: 'base-sepolia',
          },
        },
        { url: `http://127.0.0.1:${portOf(facilitator)}` },
      ),
    );
    app.get('/joke', (_req, res) => res.type('text/plain').send('a joke'));
    app.get('/free', (_req, res) => res.type('text/plain').send('free'));
    const seller = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    closers.push(() => {
      seller.closeAllConnections();
      return new Promise((r) => seller.close(r));
    });
    const host = `127.0.0.1:${portOf(seller)}`;
    const g = makeNode(
      baseConfig('g', {
        mode: 'gateway',
        peers: [{ id: 's' }],
        settlement: { ledgerDurability: 'off', enabled: false },
        settlementInfra: { privateKey: GATEWAY_KEY },
        gateway: { ...gatewaySection(chain, dir), routes: [], outbound: { allowedHosts: [host] } },
      } as never),
      { BTP_PEER_S_SECRET: 'sg' },
    );
    await g.start();
    closers.unshift(() => g.stop());
    const s = makeNode(
      baseConfig('s', {
        peers: [{ id: 'g', url: btpUrl(g), authToken: 'sg' }],
        routes: [{ prefix: 'g.g', nextHop: 'g' }],
      }),
    );
    await s.start();
    closers.unshift(() => s.stop());
    await waitConnected(s, 'g');
    const buy = (path: string, amount: bigint) => async () => {
      const data = Buffer.from(`GET http://${host}${path} HTTP/1.1\r\naccept: text/plain\r\n\r\n`, 'latin1');
      const reply = await s.sendPacket({
        destination: 'g.g.x402',
        amount,
        executionCondition: dataLock(data),
        expiresAt: new Date(Date.now() + 20_000),
        data,
      });
      return reply.type === 13;
    };
    await measure('warm-up', 10, 1, buy('/free', 1n));
    await measure('warm-up', 5, 1, buy('/joke', OUT_ILP_PRICE));
    const before = await chain.balanceOf(SELLER);
    const rows: Row[] = [];
    for (const n of inFlights) {
      rows.push(await measure('http free', total, n, buy('/free', 1n)));
      rows.push(await measure('http paid', total, n, buy('/joke', OUT_ILP_PRICE)));
    }
    const received = (await chain.balanceOf(SELLER)) - before;
    printRows(rows, 'http free', 'http paid', inFlights);
    const paidDone = rows.filter((r) => r.what === 'http paid').reduce((sum, r) => sum + r.done, 0);
    console.log(`the server received ${received} token base units for ${paidDone} paid requests`);
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
