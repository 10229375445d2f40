/**
 * Who may read the Explorer: on a non-loopback bind every route (the WebSocket upgrade, the page,
 * its files) needs the key; without a key such a bind is refused; on loopback, other origins'
 * WebSockets and non-loopback Host names (DNS rebinding) are refused.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EventRecorder, Explorer } from '../../../src/http/index.js';
import { silentLogger } from '../../../src/utils/logger.js';
import { tempDir } from './events.js';
import { fakeNode, openSocket, startExplorer } from './harness.js';

const KEY = 'correct horse battery staple';
const ROUTES = [
  '/',
  '/api/events',
  '/api/health',
  '/api/node',
  '/api/peers',
  '/api/routes',
  '/api/balances',
  '/api/channels',
  '/api/stats',
  '/assets/index.html',
  '/vendor/preact.mjs',
  '/vendor/hooks.mjs',
  '/vendor/htm.mjs',
  '/vendor/uplot.mjs',
  '/vendor/uplot.css',
  '/no/such/route',
];

/** A raw GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('explorer auth on a non-loopback bind', () => {
  it('refuses to start without a key, and listens on nothing', async (t) => {
    const explorer = new Explorer({
      settings: {
        port: 0,
        host: '0.0.0.0',
        retentionDays: 7,
        maxEvents: 1000,
        storePath: join(tempDir(t), 'e.db'),
      },
      recorder: new EventRecorder(),
      node: fakeNode(),
      logger: silentLogger(),
    });
    await assert.rejects(explorer.start(), /explorer\.host 0\.0\.0\.0 is not loopback: set explorer\.apiKey/);
    assert.equal(explorer.port, 0);
    await explorer.stop();
  });

  it('answers 401 on every route and the WebSocket without the key, 200 with it', async (t) => {
    const h = await startExplorer(t, { host: '0.0.0.0', apiKey: KEY });
    for (const path of ROUTES) {
      const without = await h.get(path);
      assert.equal(without.status, 401, path);
      assert.equal(without.body.error, 'Unauthorized', path);
      assert.equal((await h.get(path, { 'x-api-key': 'wrong' })).status, 401, path);
      const expected = path === '/no/such/route' ? 404 : 200;
      assert.equal((await h.get(path, { 'x-api-key': KEY })).status, expected, path);
    }
    const ws = `ws://127.0.0.1:${h.explorer.port}/ws`;
    await assert.rejects(openSocket(ws), /status 401/);
    await assert.rejects(openSocket(`${ws}?key=wrong`), /status 401/);
    (await openSocket(`${ws}?key=${encodeURIComponent(KEY)}`)).terminate();
    (await openSocket(ws, { 'x-api-key': KEY })).terminate();
  });

  it('takes ?key= only on the page and /ws; the page sets a cookie good for the rest', async (t) => {
    const h = await startExplorer(t, { host: '0.0.0.0', apiKey: KEY });
    const key = encodeURIComponent(KEY);
    assert.equal((await h.get(`/api/node?key=${key}`)).status, 401, 'not in API URLs');
    const page = await fetch(`${h.base}/?key=${key}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const cookie = page.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^explorer_key=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    assert.ok(!cookie.includes(KEY), 'the cookie is a digest, not the key');
    const jar = cookie.split(';')[0]!;
    assert.equal((await h.get('/vendor/preact.mjs', { cookie: jar })).status, 200);
    assert.equal((await h.get('/api/peers', { cookie: jar })).status, 200);
    assert.equal((await h.get('/api/peers', { cookie: 'explorer_key=00' })).status, 401);
    (await openSocket(`ws://127.0.0.1:${h.explorer.port}/ws`, { cookie: jar })).terminate();
  });
});

describe('explorer on loopback', () => {
  it('needs no key, serves the page and the vendor modules with their types', async (t) => {
    const h = await startExplorer(t);
    const page = await fetch(`${h.base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /importmap/);
    for (const [path, type, text] of [
      ['/vendor/preact.mjs', /^text\/javascript/, /export/],
      ['/vendor/hooks.mjs', /^text\/javascript/, /from"preact"/],
      ['/vendor/htm.mjs', /^text\/javascript/, /export/],
      ['/vendor/uplot.mjs', /^text\/javascript/, /export \{ uPlot as default \}/],
      ['/vendor/uplot.css', /^text\/css/, /\.uplot/],
    ] as const) {
      const res = await fetch(h.base + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
      assert.match(await res.text(), text, path);
    }
  });

  it('refuses a WebSocket from another origin and a non-loopback Host name', async (t) => {
    const h = await startExplorer(t);
    const ws = `ws://127.0.0.1:${h.explorer.port}/ws`;
    await assert.rejects(openSocket(ws, { origin: 'https://evil.example' }), /status 403/);
    (await openSocket(ws, { origin: `http://127.0.0.1:${h.explorer.port}` })).terminate();
    assert.equal(await getWithHost(h.explorer.port, '/api/node', `evil.example:${h.explorer.port}`), 403);
    assert.equal(await getWithHost(h.explorer.port, '/api/node', `localhost:${h.explorer.port}`), 200);
  });
});
