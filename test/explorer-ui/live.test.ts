/** The page's WS feed: reconnects without reload, fills the gap, stays bounded under a burst. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { countOf, launchBrowser, openPage, screenshot, waitForText, waitUntil } from './browser.js';
import { packet } from './fixture-data.js';
import { type FixtureServer, startFixtureServer } from './fixture-server.js';

const row = (packetId: string): string => `[data-testid=packet-row][data-packet-id="${packetId}"]`;

describe('Explorer live feed', { timeout: 120_000 }, () => {
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

  it('reconnects after the server drops the socket and shows what it missed', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));

    fixture.refuseSockets(true);
    fixture.dropSockets();
    await page.waitForSelector('[data-testid=ws-state][data-state=reconnecting]');
    await waitForText(page, '[data-testid=ws-state]', 'reconnecting');
    await screenshot(page, 'reconnecting');
    // Stored while the page had no socket: the page must fetch it after reconnecting.
    const missed = 'd1'.repeat(32);
    fixture.push(packet(Date.now(), missed, 'fulfilled'));

    fixture.refuseSockets(false);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]', { timeout: 20_000 });
    await page.waitForSelector(row(missed));
    const after = 'd2'.repeat(32);
    fixture.push(packet(Date.now(), after, 'rejected', 'F99'));
    await page.waitForSelector(row(after));
    assert.equal(fixture.wsClients(), 1);
    assert.deepEqual(navigations, [], 'the page did not reload');
    assert.equal(errors.filter((e) => !e.includes('WebSocket')).length, 0, errors.join('\n'));
    await page.context().close();
  });

  it('keeps at most 200 rows and renders a burst of 5,000 events in a few batches', async () => {
    const { page, errors } = await openPage(browser, fixture.url);
    await page.waitForSelector('[data-testid=ws-state][data-state=live]');
    await page.waitForSelector('[data-testid=packet-row]');
    const batchesBefore = Number(
      await page.locator('[data-testid=packet-table]').getAttribute('data-batches'),
    );
    const nowMs = Date.now();
    const burst = Array.from({ length: 5000 }, (_, i) =>
      packet(nowMs + i, i.toString(16).padStart(64, '0'), i % 10 === 0 ? 'rejected' : 'fulfilled', 'T04'),
    );
    fixture.pushMany(burst);
    const last = (4999).toString(16).padStart(64, '0');
    await page.waitForSelector(row(last), { timeout: 20_000 });
    await waitUntil(page, `${countOf('[data-testid=packet-row]')} === 200`);
    const first = page.locator('[data-testid=packet-row]').first();
    assert.equal(await first.getAttribute('data-packet-id'), last);
    const table = page.locator('[data-testid=packet-table]');
    const batches = Number(await table.getAttribute('data-batches')) - batchesBefore;
    // 5,000 frames arrive within a second or two: one render per 250 ms, not one per event.
    assert.ok(batches >= 1 && batches <= 20, `${batches} batches for 5,000 events`);
    assert.equal(await page.locator('[data-testid=packet-count]').getAttribute('data-kept'), '2000');
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
