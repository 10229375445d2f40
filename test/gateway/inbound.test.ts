/**
 * Acceptance of x402 in front of Interledger (issue 18): an unmodified `x402-fetch` client buys a
 * resource from an agent behind two of our connectors, on anvil; then the faults: each gets its
 * x402 error, nothing is paid or booked twice, and the gateway keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, type Hex, http } from 'viem';
import { createPaymentHeader } from 'x402/client';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import { testTokenAbi } from '../../src/settlement/index.js';
import { addressOf } from '../settlement/chain-fixture.js';
import {
  type GatewayNet,
  ILP_AMOUNT,
  PAYER_KEY,
  POOR_KEY,
  PRICE,
  startGatewayNet,
  walletOf,
} from './fixture.js';

type Requirements = Parameters<typeof createPaymentHeader>[2];

interface PaymentRequired {
  x402Version: number;
  error: string;
  accepts: Requirements[];
}

/** x402-fetch over a fetch that remembers the X-PAYMENT headers it sent. */
function payingFetch(net: GatewayNet, sent: string[] = []) {
  const recording: typeof fetch = (input, init) => {
    const header = (init?.headers as Record<string, string> | undefined)?.['X-PAYMENT'];
    if (header !== undefined) sent.push(header);
    return fetch(input, init);
  };
  // x402's Signer type is viem's wallet client; the cast only bridges its generic parameters.
  return wrapFetchWithPayment(recording, net.payer as never, 10n ** 18n);
}

async function requirements(net: GatewayNet, path = '/weather'): Promise<Requirements> {
  const res = await fetch(net.url(path));
  assert.equal(res.status, 402);
  return ((await res.json()) as PaymentRequired).accepts[0]!;
}

async function payWith(net: GatewayNet, header: string, path = '/weather'): Promise<Response> {
  return fetch(net.url(path), { headers: { 'X-PAYMENT': header } });
}

describe('gateway: x402 in front of Interledger', () => {
  let net: GatewayNet;
  before(async () => {
    net = await startGatewayNet();
  });
  after(async () => {
    await net?.stop();
  });

  it('answers a request without payment with the standard 402', async () => {
    const res = await fetch(net.url('/weather/today'));
    assert.equal(res.status, 402);
    const body = (await res.json()) as PaymentRequired;
    assert.equal(body.x402Version, 1);
    assert.equal(body.accepts.length, 1);
    assert.deepEqual(body.accepts[0], {
      scheme: 'exact',
      network: 'base-sepolia',
      maxAmountRequired: PRICE.toString(),
      resource: net.url('/weather/today'),
      description: 'weather',
      mimeType: 'text/plain',
      payTo: net.gatewayAddress,
      maxTimeoutSeconds: 60,
      asset: net.chain.token,
      extra: { name: 'Test Token', version: '2' },
    });
    const missing = await fetch(net.url('/other'));
    assert.equal(missing.status, 404);
  });

  it('x402-fetch buys a resource: token moves by the price, the agent is paid the converted amount over ILP', async () => {
    const payer = addressOf(PAYER_KEY);
    const [payerBefore, gatewayBefore] = await Promise.all([
      net.balance(payer),
      net.balance(net.gatewayAddress),
    ]);
    const seenBefore = net.seen.length;
    const agentBooksBefore = (await net.a.getBalance('m')).netBalance;
    const x402Before = (await net.g.getGatewayAccount())!;
    const mBefore = await net.g.getBalance('m');
    const res = await payingFetch(net)(net.url('/weather?city=paris'));
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await res.text(), 'sunny at g.agent.weather');
    assert.equal(res.headers.get('content-type'), 'text/plain');
    const settle = decodeXPaymentResponse(res.headers.get('x-payment-response')!);
    assert.equal(settle.success, true);
    assert.equal(settle.network, 'base-sepolia');
    assert.equal(settle.payer, payer);
    assert.match(settle.transaction, /^0x[0-9a-f]{64}$/);
    assert.equal(await net.balance(payer), payerBefore - PRICE);
    assert.equal(await net.balance(net.gatewayAddress), gatewayBefore + PRICE);
    assert.equal(net.seen.length, seenBefore + 1);
    const prepare = net.seen.at(-1)!;
    assert.equal(BigInt(prepare.amount), ILP_AMOUNT);
    assert.equal(prepare.destination, 'g.agent.weather');
    const request = Buffer.from(prepare.data, 'base64').toString('latin1');
    assert.match(request, /^GET \/weather\?city=paris HTTP\/1\.1\r\n/);
    assert.match(request, new RegExp(`\\r\\nx402-payer: ${payer}\\r\\n`));
    // The agent's connector booked exactly the converted amount with the middle connector.
    const delta = (await net.a.getBalance('m')).netBalance - agentBooksBefore;
    assert.equal(delta < 0n ? -delta : delta, ILP_AMOUNT);
    // The gateway booked it from its x402 account (the tokens came in on chain) to the next hop.
    const x402After = (await net.g.getGatewayAccount())!;
    assert.equal(x402After.account, 'x402:base-sepolia');
    assert.equal(x402After.balance.debitsPosted - x402Before.balance.debitsPosted, ILP_AMOUNT);
    assert.equal(x402After.balance.creditsPosted, x402Before.balance.creditsPosted);
    assert.equal(x402After.balance.debitsPending, 0n);
    const mAfter = await net.g.getBalance('m');
    assert.equal(
      mAfter.creditBalance - mBefore.creditBalance + (mAfter.debitBalance - mBefore.debitBalance),
      ILP_AMOUNT,
    );
  });

  it('refuses a replayed authorization once it is settled, and while the first use is in flight', async () => {
    const sent: string[] = [];
    const first = await payingFetch(net, sent)(net.url('/weather'));
    assert.equal(first.status, 200);
    const header = sent[0]!;
    const payer = addressOf(PAYER_KEY);
    const before = await net.balance(payer);
    const seen = net.seen.length;
    const replay = await payWith(net, header);
    assert.equal(replay.status, 402);
    assert.equal(((await replay.json()) as PaymentRequired).error, 'duplicate_settlement');

    // Two uses of one fresh authorization at once: one is served, the other refused.
    const fresh = await createPaymentHeader(net.payer as never, 1, await requirements(net));
    const both = await Promise.all([payWith(net, fresh), payWith(net, fresh)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 402]);
    assert.equal(await net.balance(payer), before - PRICE);
    assert.equal(net.seen.length, seen + 1);
  });

  it('refuses a wrong domain, a wrong recipient, an expired window, an amount below the price, a payer without balance', async () => {
    const req = await requirements(net);
    const payer = addressOf(PAYER_KEY);
    const before = await net.balance(payer);
    const seen = net.seen.length;
    const cases: [string, Requirements, string, ReturnType<typeof walletOf>?][] = [
      [
        'wrong domain name',
        { ...req, extra: { name: 'USD Coin', version: '2' } },
        'invalid_exact_evm_payload_signature',
      ],
      [
        'wrong domain version',
        { ...req, extra: { name: 'Test Token', version: '1' } },
        'invalid_exact_evm_payload_signature',
      ],
      ['wrong token', { ...req, asset: addressOf(POOR_KEY) }, 'invalid_exact_evm_payload_signature'],
      ['wrong recipient', { ...req, payTo: payer }, 'invalid_exact_evm_payload_recipient_mismatch'],
      [
        'expired window',
        { ...req, maxTimeoutSeconds: 3 },
        'invalid_exact_evm_payload_authorization_valid_before',
      ],
      [
        'below the price',
        { ...req, maxAmountRequired: (PRICE - 1n).toString() },
        'invalid_exact_evm_payload_authorization_value',
      ],
      ['no balance', req, 'insufficient_funds', walletOf(POOR_KEY, net.chain.anvil.rpcUrl)],
    ];
    for (const [what, requirements, error, wallet] of cases) {
      const header = await createPaymentHeader((wallet ?? net.payer) as never, 1, requirements);
      const res = await payWith(net, header);
      assert.equal(res.status, 402, what);
      const body = (await res.json()) as PaymentRequired;
      assert.equal(body.error, error, what);
      assert.equal(body.accepts[0]?.maxAmountRequired, PRICE.toString(), what);
    }
    const garbage = await payWith(net, 'bm90IGpzb24=');
    assert.equal(((await garbage.json()) as PaymentRequired).error, 'invalid_payload');
    assert.equal(await net.balance(payer), before, 'nothing charged');
    assert.equal(net.seen.length, seen, 'no packet left the gateway');
    // And it keeps serving.
    assert.equal((await payingFetch(net)(net.url('/weather'))).status, 200);
  });

  it("counts a payer's payments in progress against its balance: of two at once it can afford one", async () => {
    const poor = addressOf(POOR_KEY);
    const poorWallet = walletOf(POOR_KEY, net.chain.anvil.rpcUrl);
    // Give the payer one and a half prices, so one payment fits and two do not.
    await net.payer.writeContract({
      address: net.chain.token,
      abi: testTokenAbi,
      functionName: 'transfer',
      args: [poor, PRICE + PRICE / 2n],
      account: net.payer.account!,
      chain: net.payer.chain,
    });
    const req = await requirements(net);
    const [one, two] = await Promise.all([
      createPaymentHeader(poorWallet as never, 1, req),
      createPaymentHeader(poorWallet as never, 1, req),
    ]);
    const seen = net.seen.length;
    const answers = await Promise.all([payWith(net, one), payWith(net, two)]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 402]);
    const refused = answers.find((r) => r.status === 402)!;
    assert.equal(((await refused.json()) as PaymentRequired).error, 'insufficient_funds');
    assert.equal(await net.balance(poor), PRICE / 2n);
    assert.equal(net.seen.length, seen + 1);
  });

  it('on a Reject nothing is settled and the client gets a clear HTTP error; the authorization stays usable', async () => {
    const payer = addressOf(PAYER_KEY);
    const before = await net.balance(payer);
    const unreachable = await payingFetch(net)(net.url('/nowhere'));
    assert.equal(unreachable.status, 502);
    const body = (await unreachable.json()) as { error: string; ilp: { code: string } };
    assert.equal(body.error, 'ilp_rejected');
    assert.equal(body.ilp.code, 'F02');

    net.agent = () => ({
      accept: false,
      rejectReason: { code: 'application_error', message: 'no forecast' },
    });
    try {
      const header = await createPaymentHeader(net.payer as never, 1, await requirements(net));
      const refused = await payWith(net, header);
      assert.equal(refused.status, 502);
      assert.equal(((await refused.json()) as { ilp: { code: string } }).ilp.code, 'F99');
      assert.equal(await net.balance(payer), before, 'nothing charged on a Reject');
      net.agent = (req) => ({
        accept: true,
        data: Buffer.from(`retry of ${req.destination}`).toString('base64'),
      });
      // The authorization was never used: the same one buys the resource once the agent answers.
      const again = await payWith(net, header);
      assert.equal(again.status, 200);
      assert.equal(await again.text(), 'retry of g.agent.weather');
      assert.equal(await net.balance(payer), before - PRICE);
    } finally {
      net.agent = (req) => ({
        accept: true,
        data: Buffer.from(`sunny at ${req.destination}`).toString('base64'),
      });
    }
  });

  it('the token records the authorization as used', async () => {
    const sent: string[] = [];
    assert.equal((await payingFetch(net, sent)(net.url('/weather'))).status, 200);
    const payment = JSON.parse(Buffer.from(sent[0]!, 'base64').toString('utf8')) as {
      payload: { authorization: { from: Hex; nonce: Hex } };
    };
    const { from, nonce } = payment.payload.authorization;
    const client = createPublicClient({ transport: http(net.chain.anvil.rpcUrl) });
    const used = await client.readContract({
      address: net.chain.token,
      abi: testTokenAbi,
      functionName: 'authorizationState',
      args: [from, nonce],
    });
    assert.equal(used, true);
  });

  it('/metrics counts the gateway requests by outcome and the tokens settled', async () => {
    const text = await (await fetch(`http://127.0.0.1:${net.g.healthPort}/metrics`)).text();
    const value = (line: string) => Number(new RegExp(`^${line} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const settled = value('connector_gateway_requests_total\\{direction="inbound",outcome="settled"\\}');
    assert.ok(settled >= 5, text);
    assert.equal(value('connector_gateway_tokens_total\\{direction="in"\\}'), settled * Number(PRICE));
    assert.ok(value('connector_gateway_requests_total\\{direction="inbound",outcome="refused"\\}') >= 8);
    assert.ok(value('connector_gateway_requests_total\\{direction="inbound",outcome="rejected"\\}') >= 2);
  });

  it('the Explorer shows each settlement with its payer and transaction', async () => {
    type Page = {
      events: { amount: string; destination: string; txHash?: string; data: { payer: string } }[];
    };
    const settled = 5;
    let page: Page = { events: [] };
    // The recorder flushes every 200 ms: read until the settlements are stored (bounded).
    for (let i = 0; i < 50 && page.events.length < settled; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      page = (await (
        await fetch(`http://127.0.0.1:${net.g.explorerPort}/api/events?types=x402.settled`)
      ).json()) as Page;
    }
    assert.ok(page.events.length >= settled, JSON.stringify(page));
    for (const e of page.events) {
      assert.equal(e.amount, PRICE.toString());
      assert.equal(e.destination, 'g.agent.weather');
      assert.ok([addressOf(PAYER_KEY), addressOf(POOR_KEY)].includes(e.data.payer as `0x${string}`));
      assert.match(e.txHash ?? '', /^0x[0-9a-f]{64}$/);
    }
  });
});
