/**
 * The gateway with a remote facilitator (`gateway.facilitatorUrl`, issue 18): a local HTTP
 * facilitator runs the `x402` package's own verify/settle on anvil; the gateway asks it instead
 * of reading the chain and sending the settlement itself. x402-fetch buys a resource; the
 * facilitator's key sends the transaction; a payment the facilitator refuses gets its reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, type Hex, http } from 'viem';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import { addressOf } from '../settlement/chain-fixture.js';
import {
  type Facilitator,
  type GatewayNet,
  PAYER_KEY,
  POOR_KEY,
  PRICE,
  startFacilitator,
  startGatewayNet,
  walletOf,
} from './fixture.js';

describe('gateway: a remote facilitator', () => {
  let net: GatewayNet;
  let facilitator: Facilitator;
  before(async () => {
    net = await startGatewayNet(async (chain) => {
      facilitator = await startFacilitator(chain.anvil.rpcUrl);
      return { facilitatorUrl: `${facilitator.url}/`, facilitatorTimeoutMs: 5000 };
    });
  });
  after(async () => {
    await net?.g.stop();
    await facilitator?.close();
    await net?.stop();
  });

  it("x402-fetch buys a resource: verified and settled by the facilitator, sent from the facilitator's key", async () => {
    const payer = addressOf(PAYER_KEY);
    const [payerBefore, gatewayBefore] = await Promise.all([
      net.balance(payer),
      net.balance(net.gatewayAddress),
    ]);
    const pay = wrapFetchWithPayment(fetch, net.payer as never, 10n ** 18n);
    const res = await pay(net.url('/weather'));
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await res.text(), 'sunny at g.agent.weather');
    const settled = decodeXPaymentResponse(res.headers.get('x-payment-response')!);
    assert.equal(settled.success, true);
    assert.equal(facilitator.calls.get('/verify'), 1);
    assert.equal(facilitator.calls.get('/settle'), 1);
    const viem = createPublicClient({ transport: http(net.chain.anvil.rpcUrl) });
    const receipt = await viem.getTransactionReceipt({ hash: settled.transaction as Hex });
    assert.equal(receipt.from.toLowerCase(), facilitator.address.toLowerCase());
    assert.equal(await net.balance(payer), payerBefore - PRICE);
    assert.equal(await net.balance(net.gatewayAddress), gatewayBefore + PRICE);
    assert.equal(net.seen.length, 1);
  });

  it("a payer the facilitator refuses gets its reason; no packet, nothing settled; the gateway's own checks still run first", async () => {
    const seen = net.seen.length;
    const poor = wrapFetchWithPayment(fetch, walletOf(POOR_KEY, net.chain.anvil.rpcUrl) as never, 10n ** 18n);
    const refused = await poor(net.url('/weather'));
    assert.equal(refused.status, 402);
    const body = (await refused.json()) as { error: string };
    assert.equal(body.error, 'insufficient_funds');
    assert.equal(facilitator.calls.get('/verify'), 2);
    assert.equal(facilitator.calls.get('/settle'), 1);
    assert.equal(net.seen.length, seen, 'no packet left');
    // A payment without a signature never reaches the facilitator.
    const garbage = await fetch(net.url('/weather'), { headers: { 'X-PAYMENT': 'bm90IGpzb24=' } });
    assert.equal(garbage.status, 402);
    assert.equal(facilitator.calls.get('/verify'), 2);
  });

  it('an unreachable facilitator is a 503, and the gateway keeps serving once it is back', async () => {
    const url = facilitator.url;
    await facilitator.close();
    const pay = wrapFetchWithPayment(fetch, net.payer as never, 10n ** 18n);
    const down = await pay(net.url('/weather'));
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { error: string }).error, 'unexpected_verify_error');
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve) => facilitator.server.listen(port, '127.0.0.1', resolve));
    const again = await pay(net.url('/weather'));
    assert.equal(again.status, 200, await again.clone().text());
  });
});
