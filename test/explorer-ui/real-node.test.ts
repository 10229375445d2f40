/**
 * The Explorer page of real nodes in headless Chromium (issue 13): anvil, alice paying bob over
 * BTP on loopback with settlement on (threshold 1000), both nodes running their Explorer. Real
 * packets (fulfilled, rejected here with F02 and at bob with F99) and real claims; the test
 * asserts what the page shows against what the nodes say.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, dataLock, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';
import {
  addressOf,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
} from '../settlement/chain-fixture.js';
import { countOf, launchBrowser, openPage, screenshot, waitForText, waitUntil } from './browser.js';

const KEY_ALICE = ANVIL_KEYS[1];
const KEY_BOB = ANVIL_KEYS[2];
const THRESHOLD = 1000n;
const DEPOSIT_TOKENS = 5000n * FACTOR;
/** Bob's limit on what alice may owe him, shown as a bar on his page. */
const ALICE_MAXIMUM = 2000n;
/** The page's waits: its polls run every 2 s (peers, stats) and 5 s (channels). */
const PAGE_WAIT_MS = 15_000;
const BASESCAN = 'https://basescan.org';

const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.locator(selector).first().textContent()) ?? '').trim();
const row = (packetId: string): string => `[data-testid=packet-row][data-packet-id="${packetId}"]`;
/** The page's grouping of a decimal amount (explorer-ui/format.js `amount`). */
const grouped = (n: bigint): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const packetIdOf = (text: string): string => dataLock(Buffer.from(text)).toString('hex');
const fulfillmentOf = (text: string): string => createHash('sha256').update(Buffer.from(text)).digest('hex');

/** Node directories, each with its own event store and channel state. */
function nodeFiles(dir: string): { statePath: string; storePath: string } {
  return { statePath: join(dir, 'channels.json'), storePath: join(dir, 'events.db') };
}

function explorerOn(storePath: string): Pick<ConnectorConfig, 'explorer'> {
  return { explorer: { enabled: true, port: 0, storePath } };
}

describe('Explorer page of two real nodes settling on anvil', { timeout: 180_000 }, () => {
  let chain: TestChain;
  let dir: string;
  let alice: ConnectorNode;
  let bob: ConnectorNode;
  let browser: Browser;
  /** Opened before any traffic: what it shows arrived over the WS. */
  let live: Page;
  let liveErrors: string[];
  /** Bob's redemption that brought his total to both claims. */
  let redemption: { txHash: string; paid: bigint };

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'explorer-real-'));
    await mkdir(join(dir, 'alice'));
    await mkdir(join(dir, 'bob'));
    const bobFiles = nodeFiles(join(dir, 'bob'));
    bob = makeNode(
      baseConfig('bob', {
        peers: [{ id: 'alice', evmAddress: addressOf(KEY_ALICE), balance: { maximum: ALICE_MAXIMUM } }],
        ...settlementConfig(chain, KEY_BOB, bobFiles.statePath),
        ...explorerOn(bobFiles.storePath),
      }),
      { BTP_PEER_ALICE_SECRET: 's' },
    );
    bob.setPacketHandler((request) =>
      request.destination.endsWith('.closed')
        ? { accept: false, rejectReason: { code: 'F99', message: 'shop closed' } }
        : { accept: true },
    );
    await bob.start();
    const aliceFiles = nodeFiles(join(dir, 'alice'));
    const settle = settlementConfig(chain, KEY_ALICE, aliceFiles.statePath, { threshold: THRESHOLD });
    alice = makeNode(
      baseConfig('alice', {
        peers: [{ id: 'bob', url: btpUrl(bob), authToken: 's', evmAddress: addressOf(KEY_BOB) }],
        routes: [{ prefix: 'g.bob', nextHop: 'bob' }],
        ...settle,
        settlementInfra: {
          ...settle.settlementInfra,
          initialDeposit: DEPOSIT_TOKENS,
        } as ConnectorConfig['settlementInfra'],
        ...explorerOn(aliceFiles.storePath),
      }),
    );
    await alice.start();
    await waitConnected(alice, 'bob');
    await Promise.all([alice.settlementReady(), bob.settlementReady()]);
    browser = await launchBrowser();
    assert.ok(alice.explorerPort > 0 && bob.explorerPort > 0);
    ({ page: live, errors: liveErrors } = await openPage(browser, alice.explorerUrl!));
    await live.waitForSelector('[data-testid=ws-state][data-state=live]');
  });

  after(async () => {
    await browser?.close();
    await alice?.stop();
    await bob?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows packets as they happen: counts, outcomes, reject codes and a detail panel', async () => {
    await waitForText(live, '[data-testid=node-id]', 'alice');
    await waitForText(live, '[data-testid=ilp-address]', 'g.alice');
    const address = await live.locator('[data-testid=settlement-address]').getAttribute('title');
    assert.equal(address?.toLowerCase(), addressOf(KEY_ALICE).toLowerCase());
    assert.equal(await live.title(), 'alice · Explorer');

    // 10 × 100 crosses the threshold with the last one: alice sends bob a claim for 1000.
    const claimReceived = nextSettlementEvent(bob, 'claim-received');
    for (let i = 0; i < 10; i++)
      assert.equal((await sendData(alice, 'g.bob.shop', 100n, `pay ${i}`)).type, 13);
    const nowhere = await sendData(alice, 'g.nowhere.x', 50n, 'lost');
    assert.ok(nowhere.type === 14 && nowhere.code === 'F02');
    const closed = await sendData(alice, 'g.bob.closed', 70n, 'closed');
    assert.ok(closed.type === 14 && closed.code === 'F99');
    await claimReceived;

    await waitForText(live, '[data-testid=fulfilled-count]', '10', PAGE_WAIT_MS);
    await waitForText(live, '[data-testid=rejected-count]', '2', PAGE_WAIT_MS);
    assert.equal(await text(live, '[data-testid=fulfilled-count]'), '10');
    assert.equal(await text(live, '[data-testid=rejected-count]'), '2');
    assert.equal(await text(live, '[data-testid=fulfill-ratio]'), '83.3%');
    assert.equal(await text(live, '[data-testid=rejects-by-code] [data-code=F02]'), 'F02 1');
    assert.equal(await text(live, '[data-testid=rejects-by-code] [data-code=F99]'), 'F99 1');
    assert.match(await text(live, '[data-testid=latency-p50]'), /^\d+(\.\d+)? ms$/);

    const rows = '[data-testid=packet-row]';
    await waitUntil(live, `${countOf(rows)} === 12`, PAGE_WAIT_MS);
    assert.equal(await live.locator(`${rows}[data-type=fulfilled]`).count(), 10);
    const first = live.locator(rows).first();
    assert.equal(await first.getAttribute('data-packet-id'), packetIdOf('closed'));
    assert.match((await first.textContent()) ?? '', /rejected\s*F99.*this node → bob.*g\.bob\.closed.*70/);
    assert.match(
      (await live.locator(row(packetIdOf('lost'))).textContent()) ?? '',
      /rejected\s*F02.*this node → —.*g\.nowhere\.x.*50/,
    );
    assert.match(
      (await live.locator(row(packetIdOf('pay 3'))).textContent()) ?? '',
      /fulfilled.*this node → bob.*g\.bob\.shop.*100/,
    );

    await live.click(row(packetIdOf('lost')));
    await live.waitForSelector(`[data-testid=packet-detail][data-packet-id="${packetIdOf('lost')}"]`);
    assert.equal(await text(live, '[data-testid=detail-reject-code]'), 'F02');
    assert.equal(await text(live, '[data-testid=detail-triggered-by]'), 'g.alice');
    assert.equal(await text(live, '[data-testid=detail-path]'), 'this node → not forwarded');
    assert.equal(await text(live, '[data-testid=detail-amount-in]'), '50');
    assert.equal(await text(live, '[data-testid=detail-amount-out]'), '0');
    assert.notEqual(await text(live, '[data-testid=detail-message]'), '—');

    await live.click(row(packetIdOf('pay 3')));
    await live.waitForSelector(`[data-testid=packet-detail][data-packet-id="${packetIdOf('pay 3')}"]`);
    assert.equal(await text(live, '[data-testid=detail-fulfillment]'), fulfillmentOf('pay 3'));
    assert.equal(await text(live, '[data-testid=detail-path]'), 'this node → bob');
    assert.equal(await text(live, '[data-testid=detail-amount-out]'), '100');
    assert.equal(await live.locator('[data-testid=detail-reject-code]').count(), 0);
    assert.deepEqual(liveErrors, []);
  });

  it("shows alice's channel with both claims and what she owes bob", async () => {
    // 3 × 50 below the threshold, settled by hand; then 2 × 100 left owing.
    for (let i = 0; i < 3; i++)
      assert.equal((await sendData(alice, 'g.bob.shop', 50n, `more ${i}`)).type, 13);
    const second = nextSettlementEvent(bob, 'claim-received', (e) => e.nonce === 2n);
    const redeemed = nextSettlementEvent(bob, 'redeemed', (e) => e.redeemed === 1150n * FACTOR);
    await alice.settleNow('bob');
    await second;
    for (let i = 0; i < 2; i++)
      assert.equal((await sendData(alice, 'g.bob.shop', 100n, `owed ${i}`)).type, 13);
    redemption = await redeemed;

    const balance = await alice.getBalance('bob');
    assert.equal(balance.netBalance, 200n);
    const peer = '[data-testid=peer][data-peer-id=bob]';
    await waitForText(live, `${peer} [data-testid=peer-net]`, '200', PAGE_WAIT_MS);
    assert.equal(await text(live, `${peer} [data-testid=peer-net]`), '200');
    assert.match(await text(live, peer), /we owe/);
    assert.equal(await live.locator(peer).getAttribute('data-connected'), 'true');
    assert.equal(
      await text(live, `${peer} [data-testid=peer-balance]`),
      `debit ${grouped(balance.debitBalance)} · credit ${grouped(balance.creditBalance)}`,
    );
    assert.match(await text(live, `${peer} [data-testid=peer-routes]`), /g\.bob/);
    // The node's threshold (settlement.threshold), the peer having none of its own.
    assert.match(await text(live, peer), /settles above 1,000/);
    assert.equal(await text(live, '[data-testid=peers-count]'), '1 peer · 1 connected');

    const outgoing = (await alice.getChannelState('bob')).outgoing!;
    assert.equal(outgoing.transferred, (1150n * FACTOR).toString());
    const channel = `[data-testid=channel-row][data-channel-id="${outgoing.channelId}"]`;
    await waitForText(live, `${channel} [data-testid=channel-claimed]`, '#2', PAGE_WAIT_MS);
    assert.equal(
      await text(live, `${channel} [data-testid=channel-claimed]`),
      `${grouped(1150n * FACTOR)} #2`,
    );
    assert.equal(await text(live, `${channel} [data-testid=channel-deposit]`), grouped(DEPOSIT_TOKENS));
    assert.equal(await text(live, `${channel} [data-testid=channel-status]`), 'open');
    assert.match(await text(live, channel), /bob.*→ outgoing/);

    const sent = '[data-testid=timeline-item][data-type="claim.sent"]';
    await waitUntil(live, `${countOf(sent)} === 2`, PAGE_WAIT_MS);
    // Claims in ILP units with the tokens they add; the other steps in token units, as the table.
    assert.match(await text(live, sent), /claim\.sent\s*bob\s*150 ILP\s*\(150,000,000,000\)/);
    assert.match(
      (await live.locator(sent).nth(1).textContent()) ?? '',
      /claim\.sent\s*bob\s*1,000 ILP\s*\(1,000,000,000,000\)/,
    );
    assert.equal(
      await text(
        live,
        '[data-testid=timeline-item][data-type="channel.opened"] [data-testid=timeline-amount]',
      ),
      grouped(DEPOSIT_TOKENS),
    );
    await live.waitForSelector('[data-testid=timeline-item][data-type="claim.acknowledged"]');

    await live.click(row(packetIdOf('lost')));
    await live.waitForSelector(`[data-testid=packet-detail][data-packet-id="${packetIdOf('lost')}"]`);
    console.log(`screenshot: ${await screenshot(live, 'real-alice', 'explorer.png')}`);
    assert.deepEqual(liveErrors, []);
  });

  it("shows bob's side on a fresh page: incoming packets, alice's balance, the claims he redeemed", async () => {
    const { page, errors } = await openPage(browser, bob.explorerUrl!);
    await waitForText(page, '[data-testid=node-id]', 'bob');
    // From the store, not the WS: 10 + 3 + 2 fulfilled, one F99 (the F02 never left alice).
    const rows = '[data-testid=packet-row]';
    await waitUntil(page, `${countOf(rows)} === 16`, PAGE_WAIT_MS);
    assert.equal(await page.locator(`${rows}[data-type=rejected]`).count(), 1);
    assert.match(
      (await page.locator(row(packetIdOf('closed'))).textContent()) ?? '',
      /rejected\s*F99.*alice → local.*g\.bob\.closed/,
    );
    await waitForText(page, '[data-testid=fulfilled-count]', '15', PAGE_WAIT_MS);
    assert.equal(await text(page, '[data-testid=rejected-count]'), '1');
    await page.click(row(packetIdOf('closed')));
    await page.waitForSelector(`[data-testid=packet-detail][data-packet-id="${packetIdOf('closed')}"]`);
    assert.equal(await text(page, '[data-testid=detail-message]'), 'shop closed');
    assert.equal(await text(page, '[data-testid=detail-triggered-by]'), 'g.bob');

    const peer = '[data-testid=peer][data-peer-id=alice]';
    await waitForText(page, `${peer} [data-testid=peer-net]`, '−200', PAGE_WAIT_MS);
    assert.equal(await text(page, `${peer} [data-testid=peer-net]`), '−200');
    assert.match(await text(page, peer), /owes us/);
    // 200 of a 2000 limit.
    assert.equal(
      await page.locator(`${peer} [data-testid=peer-credit-bar]`).getAttribute('data-fraction'),
      '0.1000',
    );

    const incoming = (await bob.getChannelState('alice')).incoming!;
    const channel = `[data-testid=channel-row][data-channel-id="${incoming.channelId}"]`;
    await page.waitForSelector(channel, { timeout: PAGE_WAIT_MS });
    assert.match(await text(page, channel), /alice.*← incoming/);
    assert.equal(
      await text(page, `${channel} [data-testid=channel-claimed]`),
      `${grouped(1150n * FACTOR)} #2`,
    );
    assert.equal(await text(page, `${channel} [data-testid=channel-redeemed]`), grouped(1150n * FACTOR));
    assert.equal(await text(page, `${channel} [data-testid=channel-deposit]`), grouped(DEPOSIT_TOKENS));
    const received = '[data-testid=timeline-item][data-type="claim.received"]';
    await waitUntil(page, `${countOf(received)} === 2`, PAGE_WAIT_MS);
    // Chain id 8453 is Base's: its steps link to basescan, though this chain is a local anvil.
    const redeemedItem = `[data-testid=timeline-item][data-type="claim.redeemed"]:has(a[href="${BASESCAN}/tx/${redemption.txHash}"])`;
    await page.waitForSelector(redeemedItem);
    assert.equal(await text(page, `${redeemedItem} [data-testid=timeline-amount]`), grouped(redemption.paid));
    assert.equal(
      await page.locator(`${channel} [data-testid=channel-contract]`).getAttribute('href'),
      `${BASESCAN}/address/${incoming.tokenNetwork}`,
    );
    console.log(`screenshot: ${await screenshot(page, 'real-bob')}`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
