/**
 * The admin API accepts requests exactly as mainstream clients send them by default: Node's
 * fetch (undici), axios (the copy in node_modules) and the curl binary (spawned). Only input that
 * is genuinely malformed gets a 4xx. Each client's default headers are what goes on the wire;
 * nothing here sets a header a client would not set by itself unless the case says so.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { AxiosInstance } from 'axios';
import type { ConnectorNode } from '../../src/index.js';
import { baseConfig, makeNode } from '../helpers/nodes.js';

const run = promisify(execFile);
// axios is in node_modules through x402, not a dependency of ours; curl is a system binary.
const axios = (await import('axios').catch(() => undefined))?.default;
const curl = await run('curl', ['--version']).then(
  () => true,
  () => false,
);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('admin API and the clients operators use', () => {
  let node: ConnectorNode;
  let base = '';
  before(async () => {
    node = makeNode(baseConfig('adm', { adminApi: { enabled: true, port: 0 } }));
    await node.start();
    base = `http://127.0.0.1:${node.adminPort}`;
  });
  after(() => node.stop());

  const hasPeer = (id: string) => node.listPeers().some((p) => p.id === id);

  describe('fetch (undici) with its defaults', () => {
    const call = async (method: string, path: string, init: RequestInit = {}): Promise<Answer> => {
      const res = await fetch(base + path, { method, ...init });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('a string body (sent as text/plain;charset=UTF-8) is read as JSON', async () => {
      const added = await call('POST', '/admin/peers', { body: JSON.stringify({ id: 'f1' }) });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.ok(hasPeer('f1'));
    });

    it('application/json; charset=utf-8 and a trailing slash', async () => {
      const added = await call('POST', '/admin/peers/', {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ id: 'f2' }),
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const listed = await call('GET', '/admin/peers/');
      assert.equal(listed.status, 200);
      assert.ok((listed.body.peers as { id: string }[]).some((p) => p.id === 'f2'));
    });

    it('DELETE with content-type: application/json and no body', async () => {
      const removed = await call('DELETE', '/admin/peers/f2', {
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.equal(removed.body.removed, true);
      assert.ok(!hasPeer('f2'));
      const again = await call('DELETE', '/admin/peers/f2/', {
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(again.status, 404, 'an unknown peer is still 404, not a body error');
    });

    it('a route added and removed with a trailing slash', async () => {
      const added = await call('POST', '/admin/routes/', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prefix: 'g.f1', nextHop: 'f1' }),
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const removed = await call('DELETE', '/admin/routes/g.f1/', {
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.ok(!node.listRoutes().some((r) => r.prefix === 'g.f1'));
    });

    it('genuinely malformed input is 400, an unknown type 415, a browser-style simple request 403', async () => {
      const json = { 'content-type': 'application/json' };
      const broken = await call('POST', '/admin/peers', { headers: json, body: '{"id": ' });
      assert.equal(broken.status, 400);
      assert.match(broken.body.message as string, /not valid JSON/);
      const plainBroken = await call('POST', '/admin/peers', { body: 'id=f3' });
      assert.equal(plainBroken.status, 400);
      const missing = await call('POST', '/admin/peers', { headers: json });
      assert.equal(missing.status, 400, 'a POST that needs a body and has none');
      const unknownField = await call('POST', '/admin/peers', {
        headers: json,
        body: JSON.stringify({ id: 'f3', colour: 'red' }),
      });
      assert.equal(unknownField.status, 400);
      const poisoned = await call('POST', '/admin/peers', {
        headers: json,
        body: '{"id":"f3","__proto__":{"x":1}}',
      });
      assert.equal(poisoned.status, 400);
      const xml = await call('POST', '/admin/peers', {
        headers: { 'content-type': 'application/xml' },
        body: '<peer/>',
      });
      assert.equal(xml.status, 415);
      const garbage = await call('POST', '/admin/peers', {
        headers: { 'content-type': '///' },
        body: '{}',
      });
      assert.equal(garbage.status, 415);
      const browser = await call('POST', '/admin/peers', {
        headers: { origin: 'http://evil.example' },
        body: JSON.stringify({ id: 'f3' }),
      });
      assert.equal(browser.status, 403);
      assert.equal(browser.body.error, 'Forbidden');
      assert.ok(!hasPeer('f3'));
    });
  });

  describe('axios with its defaults', { skip: axios === undefined && 'axios is not in node_modules' }, () => {
    const call = async (
      fn: (a: AxiosInstance) => Promise<{ status: number; data: unknown }>,
    ): Promise<Answer> => {
      if (axios === undefined) throw new Error('axios is not in node_modules');
      const res = await fn(axios.create({ baseURL: base, validateStatus: () => true }));
      return { status: res.status, body: res.data as Record<string, unknown> };
    };

    it('post an object, get, delete: the basics', async () => {
      const added = await call((a) => a.post('/admin/peers', { id: 'x1' }));
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const listed = await call((a) => a.get('/admin/peers/'));
      assert.ok((listed.body.peers as { id: string }[]).some((p) => p.id === 'x1'));
      const removed = await call((a) => a.delete('/admin/peers/x1'));
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.ok(!hasPeer('x1'));
    });

    it('delete with a JSON content type set by hand and no data; delete with data {}', async () => {
      await call((a) => a.post('/admin/peers/', { id: 'x2' }));
      const typed = await call((a) =>
        a.delete('/admin/peers/x2/', { headers: { 'Content-Type': 'application/json' } }),
      );
      assert.equal(typed.status, 200, JSON.stringify(typed.body));
      await call((a) => a.post('/admin/peers', { id: 'x3' }));
      const withData = await call((a) => a.delete('/admin/peers/x3', { data: {} }));
      assert.equal(withData.status, 200, JSON.stringify(withData.body));
      assert.ok(!hasPeer('x2') && !hasPeer('x3'));
    });

    it('a JSON string as data and a post without data', async () => {
      const added = await call((a) => a.post('/admin/peers', JSON.stringify({ id: 'x4' })));
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const empty = await call((a) => a.post('/admin/peers'));
      assert.equal(empty.status, 400, 'no body where one is needed');
      assert.match(empty.body.message as string, /body/);
    });
  });

  describe('curl with its defaults', { skip: !curl && 'no curl binary on this machine' }, () => {
    const call = async (...args: string[]): Promise<Answer> => {
      const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
      const cut = stdout.lastIndexOf('\n');
      return {
        status: Number(stdout.slice(cut + 1)),
        body: JSON.parse(stdout.slice(0, cut)) as Record<string, unknown>,
      };
    };

    it('-d (a form content type) and --json; a trailing slash', async () => {
      const form = await call('-d', JSON.stringify({ id: 'c1' }), `${base}/admin/peers`);
      assert.equal(form.status, 201, JSON.stringify(form.body));
      const json = await call('--json', JSON.stringify({ id: 'c2' }), `${base}/admin/peers/`);
      assert.equal(json.status, 201, JSON.stringify(json.body));
      assert.ok(hasPeer('c1') && hasPeer('c2'));
    });

    it('-X DELETE with -H "Content-Type: application/json" and no body; -X DELETE -d ""', async () => {
      const typed = await call(
        '-X',
        'DELETE',
        '-H',
        'Content-Type: application/json',
        `${base}/admin/peers/c1`,
      );
      assert.equal(typed.status, 200, JSON.stringify(typed.body));
      const emptyForm = await call('-X', 'DELETE', '-d', '', `${base}/admin/peers/c2/`);
      assert.equal(emptyForm.status, 200, JSON.stringify(emptyForm.body));
      assert.ok(!hasPeer('c1') && !hasPeer('c2'));
    });

    it('-d with form data that is not JSON is a 400 that says so', async () => {
      const form = await call('-d', 'id=c3', `${base}/admin/peers`);
      assert.equal(form.status, 400);
      assert.match(form.body.message as string, /not valid JSON/);
    });
  });
});
