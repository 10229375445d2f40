/** The Explorer page in headless Chromium against the fixture server: what a person sees. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { countOf, launchBrowser, openPage, screenshot, waitForText, waitUntil } from './browser.js';
import { BASESCAN, CLAIM_TX, FULFILLED_ID, packet, REJECTED_ID } from './fixture-data.js';
import { type FixtureServer, startFixtureServer } from './fixture-server.js';

const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.locator(selector).first().textContent()) ?? '').trim();
const row = (packetId: string): string => `[data-testid=packet-row][data-packet-id="${packetId}"]`;

describe('Explorer page', { timeout: 240_000 }, () => {
  let browser: Browser;
  let fixture: FixtureServer;

  before(async () => {
    browser = await launchBrowser();
    fixture = await startFixtureServer();
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it('shows who the node is, its store and a live feed', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await waitForText(page, '[data-testid=node-id]', 'connector-a');
    await waitForText(page, '[data-testid=ilp-address]', 'g.connector-a');
    await waitForText(page, '[data-testid=settlement-address]', '0x5aeda5');
    assert.equal(await text(page, '[data-testid=key-backend]'), 'local');
    assert.equal(await text(page, '[data-testid=node-version]'), '0.1.0');
    await waitForText(page, '[data-testid=uptime]', 'up 3h 2m');
    await page.waitForSelector('[data-testid=store-health][data-state=ok]');
    await waitForText(page, '[data-testid=store-health]', `${fixture.events.length} events`);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    assert.equal(await text(page, '[data-testid=ws-state]'), 'live');
    assert.equal(await page.title(), 'connector-a · Explorer');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('shows the window figures and draws both charts', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    // 60 packets of history, every 7th from the 4th rejected (9), plus the two named ones.
    await waitForText(page, '[data-testid=fulfilled-count]', '52');
    assert.equal(await text(page, '[data-testid=rejected-count]'), '10');
    assert.equal(await text(page, '[data-testid=fulfill-ratio]'), '83.9%');
    assert.equal(await text(page, '[data-testid=packets-per-second]'), '0.21');
    assert.match(await text(page, '[data-testid=latency-p50]'), /^\d+\.\d\d ms$/);
    assert.match(await text(page, '[data-testid=latency-p99]'), /^\d+\.\d\d ms$/);
    assert.equal(await text(page, '[data-testid=rejects-by-code] [data-code=F02]'), 'F02 3');
    assert.equal(await page.locator('[data-testid=rejects-by-code] .code-chip').count(), 4);
    for (const id of ['chart-throughput', 'chart-ratio']) {
      const box = await page.locator(`[data-testid=${id}] canvas`).boundingBox();
      assert.ok(box && box.width > 200 && box.height > 100, `${id} has a drawn canvas`);
    }
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('lists fulfilled and rejected packets, latest first, with a detail panel', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector(row(REJECTED_ID));
    await waitForText(page, '[data-testid=packet-count]', '62 shown');
    const first = page.locator('[data-testid=packet-row]').first();
    assert.equal(await first.getAttribute('data-packet-id'), REJECTED_ID);
    assert.match((await first.textContent()) ?? '', /rejected\s*F02/);
    assert.match(
      (await page.locator(row(FULFILLED_ID)).textContent()) ?? '',
      /fulfilled.*alice → bob.*g\.bob\.wallet.*5,000/,
    );

    await page.click(row(REJECTED_ID));
    await page.waitForSelector(`[data-testid=packet-detail][data-packet-id="${REJECTED_ID}"]`);
    assert.equal(await text(page, '[data-testid=detail-packet-id]'), REJECTED_ID);
    assert.equal(await text(page, '[data-testid=detail-reject-code]'), 'F02');
    assert.equal(await text(page, '[data-testid=detail-message]'), 'no route to g.nowhere.x');
    assert.equal(await text(page, '[data-testid=detail-triggered-by]'), 'g.connector-a');
    assert.equal(await text(page, '[data-testid=detail-path]'), 'bob → not forwarded');
    assert.equal(await text(page, '[data-testid=detail-amount-in]'), '1,000');
    assert.equal(await text(page, '[data-testid=detail-amount-out]'), '0');
    assert.equal(await text(page, '[data-testid=detail-latency]'), '1.70 ms');
    assert.match(await text(page, '[data-testid=detail-expiry]'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    await screenshot(page, 'overview-detail');

    await page.click(row(FULFILLED_ID));
    await page.waitForSelector(`[data-testid=packet-detail][data-packet-id="${FULFILLED_ID}"]`);
    assert.equal(await text(page, '[data-testid=detail-fulfillment]'), 'f0'.repeat(32));
    assert.equal(await text(page, '[data-testid=detail-path]'), 'alice → bob');
    assert.equal(await text(page, '[data-testid=detail-amount-out]'), '998');
    assert.equal(await page.locator('[data-testid=detail-reject-code]').count(), 0);
    await page.click('[data-testid=detail-close]');
    await page.waitForSelector('[data-testid=packet-detail]', { state: 'detached' });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('filters packets by outcome, peer, code, destination and packet id', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector(row(REJECTED_ID));
    const rows = '[data-testid=packet-row]';

    await page.selectOption('[data-testid=filter-type]', 'rejected');
    await waitUntil(page, `${countOf(`${rows}:not([data-type=rejected])`)} === 0 && ${countOf(rows)} === 10`);

    await page.fill('[data-testid=filter-code]', 'f02');
    await waitUntil(page, `${countOf(rows)} === 3 && ${countOf(`${rows}[data-code=F02]`)} === 3`);

    await page.click('[data-testid=filter-clear]');
    await page.selectOption('[data-testid=filter-peer]', 'bob');
    // bob: next hop of every other history packet (30) and of FULFILLED_ID, source of REJECTED_ID.
    await waitUntil(page, `${countOf(rows)} === 32`);

    await page.click('[data-testid=filter-clear]');
    await page.fill('[data-testid=filter-destination]', 'nowhere');
    await waitUntil(page, `${countOf(rows)} === 1`);
    assert.equal(await page.locator(rows).getAttribute('data-packet-id'), REJECTED_ID);

    await page.click('[data-testid=filter-clear]');
    await page.fill('[data-testid=filter-packet-id]', FULFILLED_ID.slice(0, 10));
    await waitUntil(page, `${countOf(rows)} === 1`);
    assert.equal(await page.locator(rows).getAttribute('data-packet-id'), FULFILLED_ID);
    // A complete id is also looked up in the store.
    await page.fill('[data-testid=filter-packet-id]', FULFILLED_ID);
    await waitForText(page, '[data-testid=packet-count]', '1 in the store');

    await page.fill('[data-testid=filter-packet-id]', 'ffffffff');
    await page.waitForSelector('[data-testid=packets-empty]');
    assert.equal(await text(page, '[data-testid=packets-empty]'), 'no packet matches');
    // A code the store would refuse stays a filter of the page: no 400, no error shown.
    await page.click('[data-testid=filter-clear]');
    await page
      .locator('[data-testid=packet-count]', { hasText: 'in the store' })
      .waitFor({ state: 'detached' });
    await page.fill('[data-testid=filter-code]', 'F0?');
    await waitForText(page, '[data-testid=packet-count]', 'in the store');
    await page.waitForSelector('[data-testid=packets-empty]');
    assert.equal(await page.locator('[data-testid=packets-error]').count(), 0);
    assert.deepEqual(
      fixture.requests.filter((r) => r.status !== 200),
      [],
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('puts packets from the WS on top and updates the figures', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    await waitForText(page, '[data-testid=fulfilled-count]', '52');
    const packetId = 'e5'.repeat(32);
    fixture.push({
      type: 'packet.rejected',
      peerId: 'alice',
      direction: 'incoming',
      packetId,
      code: 'T04',
      amount: '777',
      destination: 'g.bob.wallet',
      latencyMs: 0.9,
      data: {
        from: 'alice',
        to: 'bob',
        amountOut: '0',
        expiresAt: Date.now() + 30_000,
        message: 'exceeded maximum balance.',
        triggeredBy: 'g.connector-a',
      },
    });
    await page.waitForSelector(row(packetId));
    const first = page.locator('[data-testid=packet-row]').first();
    assert.equal(await first.getAttribute('data-packet-id'), packetId);
    assert.equal(await first.getAttribute('data-code'), 'T04');
    await waitForText(page, '[data-testid=rejected-count]', '11');
    await waitForText(page, '[data-testid=rejects-by-code] [data-code=T04]', 'T04 3');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('freezes the table while paused and catches up on resume', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    await page.waitForSelector(row(REJECTED_ID));
    await page.click('[data-testid=packets-pause]');
    await waitForText(page, '[data-testid=packets-pause]', 'resume');
    const packetId = 'e6'.repeat(32);
    // The count is read before the push: read after it, it could already hold the new packet.
    const kept = Number(await page.locator('[data-testid=packet-count]').getAttribute('data-kept'));
    fixture.push(packet(Date.now(), packetId, 'fulfilled'));
    // Kept meanwhile (the count grows) but not shown until resumed.
    await page.waitForSelector(`[data-testid=packet-count][data-kept="${kept + 1}"]`);
    assert.equal(await page.locator(row(packetId)).count(), 0);
    await page.click('[data-testid=packets-pause]');
    await page.waitForSelector(row(packetId));
    assert.equal(
      await page.locator('[data-testid=packet-row]').first().getAttribute('data-packet-id'),
      packetId,
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("shows each peer's link, balance against its limit and routes", async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    const alice = '[data-testid=peer][data-peer-id=alice]';
    await page.waitForSelector(alice);
    assert.equal(await text(page, `${alice} [data-testid=peer-net]`), '−625,000');
    assert.match(await text(page, alice), /owes us/);
    assert.equal(
      await text(page, `${alice} [data-testid=peer-balance]`),
      'debit 750,000 · credit 125,000 · pending 25,000 / 0',
    );
    // 750,000 + 25,000 pending − 125,000 = 650,000 of a 1,000,000 limit.
    assert.equal(
      await page.locator(`${alice} [data-testid=peer-credit-bar]`).getAttribute('data-fraction'),
      '0.6500',
    );
    assert.match(await text(page, `${alice} [data-testid=peer-routes]`), /g\.alice/);
    assert.equal(
      await page.locator('[data-testid=peer][data-peer-id=carol]').getAttribute('data-connected'),
      'false',
    );
    assert.equal(await text(page, '[data-testid=peers-count]'), '3 peers · 2 connected');

    const peer = fixture.state.peers[0]!;
    peer.balance = { ...peer.balance, debit: '950000', net: '-825000', pendingDebit: '0' };
    await waitForText(page, `${alice} [data-testid=peer-net]`, '−825,000');
    assert.equal(
      await page.locator(`${alice} [data-testid=peer-credit-bar]`).getAttribute('data-fraction'),
      '0.8250',
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('shows channels with their claims and links tx hashes to the block explorer', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    const alice = '[data-testid=channel-row][data-peer-id=alice]';
    const bob = '[data-testid=channel-row][data-peer-id=bob]';
    await page.waitForSelector(alice);
    assert.equal(await text(page, `${alice} [data-testid=channel-claimed]`), '1,250,000 #7');
    assert.equal(await text(page, `${alice} [data-testid=channel-deposit]`), '5,000,000');
    assert.match(await text(page, alice), /outgoing/);
    assert.equal(await text(page, `${bob} [data-testid=channel-redeemed]`), '200,000');
    assert.equal(
      await page.locator('[data-testid=channel-row][data-peer-id=carol]').getAttribute('data-status'),
      'closing',
    );

    const redeemed = '[data-testid=timeline-item][data-type="claim.redeemed"]';
    await page.waitForSelector(redeemed);
    assert.equal(
      await page.locator(`${redeemed} [data-testid=timeline-tx]`).getAttribute('href'),
      `${BASESCAN}/tx/${CLAIM_TX}`,
    );
    assert.match(
      await text(page, '[data-testid=timeline-item][data-type="claim.sent"]'),
      /alice\s*1,250,000/,
    );

    fixture.push({
      type: 'claim.sent',
      peerId: 'alice',
      chain: 'base-sepolia',
      channelId: fixture.state.channels[0]!.channelId,
      amount: '1500000',
    });
    await waitForText(page, '[data-testid=timeline-item][data-type="claim.sent"]', '1,500,000');
    // One channel's steps only, by clicking its row.
    await page.click(bob);
    await waitUntil(page, `${countOf('[data-testid=timeline-item]')} === 2`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('logs links going up and down, routes and settlement', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector('[data-testid=event-item][data-type="peer.disconnected"]');
    assert.equal(await page.locator('[data-testid=event-item][data-type^="packet."]').count(), 0);
    fixture.push({ type: 'peer.disconnected', peerId: 'bob' });
    await waitForText(page, '[data-testid=event-item][data-type="peer.disconnected"]', 'bob');
    assert.match(await text(page, '[data-testid=event-item]'), /peer\.disconnected\s*bob/);
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});

describe('Explorer page with a key', { timeout: 120_000 }, () => {
  let browser: Browser;
  let fixture: FixtureServer;

  before(async () => {
    browser = await launchBrowser();
    fixture = await startFixtureServer({ apiKey: 's3cret' });
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it('sends ?key= as X-Api-Key and on the WS URL', async () => {
    const { page, errors } = await openPage(browser, `${fixture.url}?key=s3cret`);
    await waitForText(page, '[data-testid=node-id]', 'connector-a');
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    await page.waitForSelector(row(REJECTED_ID));
    assert.ok(fixture.requests.length >= 5);
    assert.deepEqual(
      fixture.requests.filter((r) => !r.keyOk),
      [],
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('tells a person without the key how to open the page', async () => {
    const { page } = await openPage(browser, fixture.url);
    await waitForText(page, '[data-testid=node-identity]', 'open the page with ?key=');
    await page.waitForSelector('[data-testid=ws-state][data-state=reconnecting]');
    await page.context().close();
  });
});
