/**
 * kill -9 between a Fulfill and its settlement (issue 18): the gateway runs as `connector start`
 * in its own process, its RPC behind a proxy. The client is served (the agent answered), the
 * settlement does not get through, the process is killed with SIGKILL and started again: the
 * authorization is settled exactly once, whether the lost transaction never reached the chain
 * or reached it and only its answer was lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import type { ConnectorNode, PaymentRequest } from '../../src/index.js';
import { CliNode } from '../helpers/cli-node.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { addressOf, startTestChain, type TestChain } from '../settlement/chain-fixture.js';
import {
  CHAIN_ID,
  GATEWAY_KEY,
  PAYER_KEY,
  PRICE,
  type RpcProxy,
  type SendMode,
  startRpcProxy,
  walletOf,
} from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
const storePath = join(dir, 'data', 'gateway-authorizations.jsonl');
let chain: TestChain;
let proxy: RpcProxy;
let m: ConnectorNode;
let a: ConnectorNode;
let g: CliNode | undefined;
const seen: PaymentRequest[] = [];

function gatewayYaml(rpcUrl: string): string {
  return `
nodeId: g
btpServerPort: 0
healthCheckPort: 0
environment: development
logLevel: info
mode: gateway
explorer:
  enabled: false
peers:
  - id: m
    url: ${btpUrl(m)}
    authToken: gm
routes:
  - prefix: g.agent
    nextHop: m
settlement:
  enabled: false
  ledgerDurability: 'off'
settlementInfra:
  privateKey: '${GATEWAY_KEY}'
gateway:
  port: 0
  network: base-sepolia
  rpcUrl: ${rpcUrl}
  asset: '${chain.token}'
  storePath: ${storePath}
  chainPollingIntervalMs: 20
  settleRetryMs: 600000
  routes:
    - path: /weather
      destination: g.agent.weather
      price: '${PRICE}'
`;
}

async function startG(): Promise<{ node: CliNode; url: string }> {
  const node = new CliNode(CliNode.write(dir, 'g', gatewayYaml(proxy.url)));
  const line = await node.waitForLog((l) => l.msg === 'connector started');
  await waitConnected(m, 'g');
  return { node, url: line.gatewayUrl as string };
}

before(async () => {
  chain = await startTestChain(CHAIN_ID);
  proxy = await startRpcProxy(chain.anvil.rpcUrl);
  a = makeNode(baseConfig('agent', { peers: [{ id: 'm' }] }), { BTP_PEER_M_SECRET: 'ma' });
  a.setPacketHandler((req) => {
    seen.push(req);
    return { accept: true, data: Buffer.from('sunny').toString('base64') };
  });
  await a.start();
  m = makeNode(
    baseConfig('m', {
      peers: [{ id: 'g' }, { id: 'agent', url: btpUrl(a), authToken: 'ma' }],
      routes: [{ prefix: 'g.agent', nextHop: 'agent' }],
    }),
    { BTP_PEER_G_SECRET: 'gm' },
  );
  await m.start();
  await waitConnected(m, 'agent');
});

after(async () => {
  g?.kill();
  await g?.exited();
  await m?.stop();
  await a?.stop();
  await proxy?.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway: kill -9 between the Fulfill and the settlement', () => {
  for (const mode of ['refuse', 'lose-answer'] as SendMode[]) {
    it(`settles exactly once after a restart (RPC sends: ${mode})`, async () => {
      const payer = addressOf(PAYER_KEY);
      const gateway = addressOf(GATEWAY_KEY);
      const [payerBefore, gatewayBefore] = await Promise.all([
        chain.balanceOf(payer),
        chain.balanceOf(gateway),
      ]);
      const seenBefore = seen.length;
      proxy.sends = mode;
      const first = await startG();
      g = first.node;
      const pay = wrapFetchWithPayment(fetch, walletOf(PAYER_KEY, chain.anvil.rpcUrl) as never, 10n ** 18n);
      const res = await pay(`${first.url}/weather`);
      // The agent answered, so the client gets the body; the settlement did not go through.
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'sunny');
      assert.equal(decodeXPaymentResponse(res.headers.get('x-payment-response')!).success, false);
      assert.equal(seen.length, seenBefore + 1);
      g.kill();
      await g.exited();
      const records = readFileSync(storePath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { op: string });
      assert.deepEqual(
        records.slice(-2).map((r) => r.op),
        ['hold', 'fulfilled'],
      );
      const expected = mode === 'refuse' ? payerBefore : payerBefore - PRICE;
      assert.equal(await chain.balanceOf(payer), expected, 'before the restart');

      proxy.sends = 'pass';
      const second = await startG();
      g = second.node;
      const settledLine = await g.waitForLog(
        (l) => l.msg === 'x402 authorization from a previous run settled',
      );
      assert.equal(settledLine.settled, true);
      assert.equal(await chain.balanceOf(payer), payerBefore - PRICE);
      assert.equal(await chain.balanceOf(gateway), gatewayBefore + PRICE);
      const last = JSON.parse(readFileSync(storePath, 'utf8').trim().split('\n').at(-1)!) as {
        op: string;
        tx: string;
      };
      assert.equal(last.op, 'settled');
      assert.match(last.tx, /^0x[0-9a-f]{64}$/);
      assert.equal(await g.stop(), 0);

      // A third start finds nothing left to settle and moves nothing.
      const third = await startG();
      g = third.node;
      assert.equal(
        g.lines.filter((l) => l.msg === 'x402 authorization from a previous run settled').length,
        0,
      );
      assert.equal(readFileSync(storePath, 'utf8'), '');
      assert.equal(await chain.balanceOf(payer), payerBefore - PRICE);
      assert.equal(await g.stop(), 0);
      g = undefined;
    });
  }
});
