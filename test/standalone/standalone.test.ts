/**
 * Issue 4's acceptance, as operators run it: two standalone nodes started by the CLI in their
 * own processes, a business-logic server (BLS) owned by the test, and everything driven over
 * HTTP: peers and routes added through the admin API, packets sent with POST /admin/ilp/send,
 * the BLS deciding, balances and /metrics checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliNode } from '../helpers/cli-node.js';
import { TestBls } from '../helpers/test-bls.js';

const KEY_A = 'key-of-node-a-0123456789';
const KEY_B = 'key-of-node-b-9876543210';

function config(nodeId: string, blsUrl: string): string {
  return `
nodeId: ${nodeId}
btpServerPort: 0
healthCheckPort: 0
environment: production
deploymentMode: standalone
logLevel: info
peers: []
routes: []
adminApi:
  enabled: true
  port: 0
  host: 127.0.0.1
  apiKey: \${ADMIN_API_KEY}
localDelivery:
  enabled: true
  handlerUrl: ${blsUrl}
  timeout: 400
explorer:
  enabled: false
`;
}

type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{
  status: number;
  body: Record<string, unknown>;
}>;

function api(node: CliNode, key: string): Api {
  return async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { 'x-api-key': key, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`http://127.0.0.1:${node.adminPort}${path}`, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('two standalone nodes, a BLS, and the admin API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'standalone-'));
  const bls = new TestBls();
  let a: CliNode;
  let b: CliNode;
  let apiA: Api;
  let apiB: Api;
  const sent = { fulfilled: 0, rejected: new Map<string, number>() };

  /** Sends from node A and keeps count, so /metrics can be checked against it. */
  async function send(destination: string, data: string, amount = '100') {
    const res = await apiA('POST', '/admin/ilp/send', { destination, amount, data: b64(data) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (res.body.fulfilled === true) sent.fulfilled++;
    else {
      const code = res.body.code as string;
      sent.rejected.set(code, (sent.rejected.get(code) ?? 0) + 1);
    }
    return res.body;
  }

  before(async () => {
    const blsUrl = await bls.listen();
    a = new CliNode(CliNode.write(dir, 'a', config('node-a', blsUrl)), {
      ADMIN_API_KEY: KEY_A,
      ADMIN_API_ALLOWED_IPS: '127.0.0.1,::1',
      LEDGER_SNAPSHOT_PATH: join(dir, 'ledger-a', 'snapshot.json'),
    });
    b = new CliNode(CliNode.write(dir, 'b', config('node-b', blsUrl)), {
      ADMIN_API_KEY: KEY_B,
      ADMIN_API_ALLOWED_IPS: '127.0.0.0/8,::1/128',
      ADMIN_API_TRUST_PROXY: 'true',
      LOCAL_DELIVERY_AUTH_TOKEN: 'bls-token-b',
      LEDGER_SNAPSHOT_PATH: join(dir, 'ledger-b', 'snapshot.json'),
    });
    await Promise.all([a.started(), b.started()]);
    apiA = api(a, KEY_A);
    apiB = api(b, KEY_B);
  });

  after(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    a?.kill();
    b?.kill();
    await bls.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0], 'both nodes exit 0 on SIGTERM');
  });

  it('peers added at runtime through the API connect', async () => {
    const addedB = await apiB('POST', '/admin/peers', { id: 'node-a', authToken: '' });
    assert.equal(addedB.status, 201, JSON.stringify(addedB.body));
    const linkUp = b.waitForLog((l) => l.msg === 'BTP peer authenticated' && l.peer === 'node-a');
    const addedA = await apiA('POST', '/admin/peers', {
      id: 'node-b',
      url: `ws://127.0.0.1:${b.btpPort}`,
      authToken: '',
      routes: [{ prefix: 'g.node-b' }],
    });
    assert.equal(addedA.status, 201, JSON.stringify(addedA.body));
    assert.deepEqual(addedA.body.ilpAddresses, ['g.node-b']);
    await linkUp;
    await a.waitForLog((l) => l.msg === 'BTP link authenticated' && l.peer === 'node-b');
    const peers = await apiA('GET', '/admin/peers');
    assert.deepEqual(
      (peers.body.peers as { id: string; connected: boolean }[]).map((p) => [p.id, p.connected]),
      [['node-b', true]],
    );
  });

  it('packets sent with POST /admin/ilp/send are fulfilled or rejected as the BLS decides', async () => {
    const ok = await send('g.node-b.alice', 'accept: order 1');
    assert.equal(ok.fulfilled, true, JSON.stringify(ok));
    assert.equal(ok.data, b64('thanks'));
    const no = await send('g.node-b.alice', 'reject: order 2');
    assert.equal(no.fulfilled, false);
    assert.equal(no.code, 'T04', 'insufficient_funds maps to T04');
    assert.equal(no.triggeredBy, 'g.node-b');
    assert.equal(no.message, 'no funds for order 2');

    const seen = bls.requests.find((r) => r.body.data === b64('accept: order 1'));
    assert.ok(seen, 'the BLS saw the packet');
    assert.equal(seen.path, '/handle-packet');
    assert.equal(seen.authorization, 'Bearer bls-token-b');
    assert.equal(seen.body.destination, 'g.node-b.alice');
    assert.equal(seen.body.amount, '100');
    assert.equal(seen.body.sourcePeer, 'node-a');
    assert.equal(typeof seen.body.executionCondition, 'string');
    assert.ok(!Number.isNaN(Date.parse(seen.body.expiresAt as string)));
  });

  it('balances move only for fulfilled packets', async () => {
    const onA = await apiA('GET', '/admin/balances/node-b');
    assert.equal(onA.status, 200);
    assert.equal(onA.body.creditBalance, '100', 'A owes B what B fulfilled');
    assert.equal(onA.body.debitBalance, '0');
    assert.equal(onA.body.pendingCredit, '0');
    const onB = await apiB('GET', '/admin/balances/node-a');
    assert.equal(onB.body.debitBalance, '100', 'B is owed by A');
    assert.equal(onB.body.netBalance, '-100');
  });

  it('a BLS that times out, answers 500 or answers garbage gives a clean reject, and the node serves on', async () => {
    for (const behaviour of ['slow', 'crash', 'garbage']) {
      const res = await send('g.node-b.alice', `${behaviour}: order`);
      assert.equal(res.fulfilled, false, behaviour);
      assert.equal(res.code, 'T00', `${behaviour}: ${res.message}`);
      assert.equal(res.triggeredBy, 'g.node-b');
    }
    const after = await send('g.node-b.alice', 'accept: after the failures');
    assert.equal(after.fulfilled, true);
  });

  it('routes added at runtime carry traffic; removed, the next packet gets F02', async () => {
    // B takes g.other as its own (next hop = itself); A sends g.other to B.
    assert.equal((await apiB('POST', '/admin/routes', { prefix: 'g.other', nextHop: 'node-b' })).status, 201);
    const added = await apiA('POST', '/admin/routes', { prefix: 'g.other', nextHop: 'node-b', priority: 1 });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const routes = (await apiA('GET', '/admin/routes')).body.routes as { prefix: string; nextHop: string }[];
    assert.ok(routes.some((r) => r.prefix === 'g.other' && r.nextHop === 'node-b'));
    assert.equal((await send('g.other.bob', 'accept: via runtime route')).fulfilled, true);

    assert.equal((await apiA('DELETE', `/admin/routes/${encodeURIComponent('g.other')}`)).status, 200);
    const noRoute = await send('g.other.bob', 'accept: after the route is gone');
    assert.equal(noRoute.code, 'F02');
    assert.equal(noRoute.triggeredBy, 'g.node-a');
    assert.equal((await apiA('DELETE', '/admin/routes/g.other')).status, 404);
  });

  it('/metrics is Prometheus text whose counters match the packets sent', async () => {
    const res = await fetch(`http://127.0.0.1:${a.healthPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    const own = (type: string) =>
      samples.get(`connector_packets_total{peer="node-a",direction="incoming",type="${type}"}`);
    const rejects = [...sent.rejected.values()].reduce((x, y) => x + y, 0);
    assert.equal(own('prepare'), sent.fulfilled + rejects);
    assert.equal(own('fulfill'), sent.fulfilled);
    assert.equal(own('reject'), rejects);
    for (const [code, n] of sent.rejected)
      assert.equal(samples.get(`connector_rejects_total{peer="node-a",code="${code}"}`), n, code);
    assert.equal(samples.get('connector_packet_duration_seconds_count'), sent.fulfilled + rejects);
    assert.equal(samples.get('connector_peer_connected{peer="node-b"}'), 1);
    assert.equal(samples.get('connector_peer_balance{peer="node-b",side="credit",state="posted"}'), 300);
    assert.ok((samples.get('connector_process_resident_memory_bytes') ?? 0) > 0);

    // A forwarded to B what did not fail at A itself (the F02 after the route was removed).
    const forwarded = sent.fulfilled + rejects - (sent.rejected.get('F02') ?? 0);
    const out = (type: string) =>
      samples.get(`connector_packets_total{peer="node-b",direction="outgoing",type="${type}"}`);
    assert.equal(out('prepare'), forwarded);
    assert.equal(out('fulfill'), sent.fulfilled);
    assert.equal(out('reject'), forwarded - sent.fulfilled);

    // B's view of the same packets: every one came from node-a, and B answered the rejects.
    const atB = parsePrometheus(await (await fetch(`http://127.0.0.1:${b.healthPort}/metrics`)).text());
    const inB = (type: string) =>
      atB.get(`connector_packets_total{peer="node-a",direction="incoming",type="${type}"}`);
    assert.equal(inB('prepare'), forwarded);
    assert.equal(inB('fulfill'), sent.fulfilled);
    assert.equal(atB.get('connector_rejects_total{peer="node-a",code="T04"}'), sent.rejected.get('T04'));
    assert.equal(atB.get('connector_rejects_total{peer="node-a",code="T00"}'), sent.rejected.get('T00'));
  });

  it('removed peers take their routes: the next packet gets F02', async () => {
    const removed = await apiA('DELETE', '/admin/peers/node-b');
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.removedRoutes, ['g.node-b']);
    const res = await send('g.node-b.alice', 'accept: after removal');
    assert.equal(res.code, 'F02');
    assert.equal((await apiA('DELETE', '/admin/peers/node-b')).status, 404);
  });

  describe('security', () => {
    it('401 without a key and with a wrong key; the key never shows in the answer', async () => {
      const url = `http://127.0.0.1:${a.adminPort}/admin/peers`;
      const none = await fetch(url);
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as { error: string }).error, 'Unauthorized');
      const wrong = await fetch(url, { headers: { 'x-api-key': `${KEY_A}x` } });
      assert.equal(wrong.status, 401);
      assert.ok(!(await wrong.text()).includes(KEY_A));
      assert.equal((await fetch(url, { headers: { 'x-api-key': KEY_B } })).status, 401);
    });

    it('403 from outside the allowlist through a trusted proxy header; an untrusted header is ignored', async () => {
      const outside = { 'x-forwarded-for': '203.0.113.9' };
      const viaProxyB = await apiB('GET', '/admin/peers', undefined, outside);
      assert.equal(viaProxyB.status, 403);
      assert.equal(viaProxyB.body.error, 'Forbidden');
      const insideB = await apiB('GET', '/admin/peers', undefined, { 'x-forwarded-for': '127.0.0.9' });
      assert.equal(insideB.status, 200);
      // A client writing an allowed address on the left is judged by the proxy's entry on the right.
      const spoofed = { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' };
      assert.equal((await apiB('GET', '/admin/peers', undefined, spoofed)).status, 403);
      // A does not trust the header: the socket's loopback address is what counts.
      assert.equal((await apiA('GET', '/admin/peers', undefined, outside)).status, 200);
    });

    it('400 with a message for each malformed body', async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/admin/ilp/send', { destination: 'g.node-b', amount: 100 }, /amount/],
        ['POST', '/admin/ilp/send', { destination: 'not an address', amount: '1' }, /destination/],
        ['POST', '/admin/ilp/send', { destination: 'g.x', amount: '18446744073709551616' }, /amount/],
        ['POST', '/admin/ilp/send', { destination: 'g.x', amount: '1', data: 'no!base64' }, /data/],
        [
          'POST',
          '/admin/ilp/send',
          { destination: 'g.x', amount: '1', executionCondition: b64('short') },
          /32 bytes/,
        ],
        ['POST', '/admin/ilp/send', { destination: 'g.x', amount: '1', extra: true }, /extra|additional/],
        ['POST', '/admin/ilp/send', '{"destination":', /JSON|body/i],
        ['POST', '/admin/peers', { url: 'ws://x' }, /id/],
        ['POST', '/admin/peers', { id: 'p', url: 'ftp://x' }, /url/],
        ['POST', '/admin/peers', { id: 'p', maxPacketAmount: '-1' }, /maxPacketAmount/],
        ['POST', '/admin/routes', { prefix: 'g.x', nextHop: 'nobody' }, /nobody/],
        ['POST', '/admin/routes', { prefix: 'g..x', nextHop: 'node-a' }, /prefix|route/],
      ];
      for (const [method, path, body, message] of cases) {
        const res = await apiA(method, path, body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error, 'Bad Request');
        assert.match(res.body.message as string, message, JSON.stringify(body));
      }
    });

    it('channels answer 503 until settlement exists; unknown endpoints and peers 404', async () => {
      const list = await apiA('GET', '/admin/channels');
      assert.equal(list.status, 503);
      assert.match(list.body.message as string, /settlement/);
      const open = await apiA('POST', '/admin/channels', { peerId: 'node-b', amount: '1000' });
      assert.equal(open.status, 503);
      assert.equal((await apiA('GET', '/admin/nothing')).status, 404);
      assert.equal((await apiA('GET', '/admin/balances/nobody')).status, 404);
    });

    it('the key and the BLS token never appear in the logs', () => {
      for (const node of [a, b]) {
        assert.ok(!node.output.includes(KEY_A) && !node.output.includes(KEY_B));
        assert.ok(!node.output.includes('bls-token-b'));
      }
    });
  });
});

/** Strict enough for the exposition format: HELP/TYPE comments, then `name{labels} value`. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (\S+)$/;
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('# HELP ') || raw.startsWith('# TYPE ')) continue;
    const m = line.exec(raw);
    assert.ok(m, `not a Prometheus sample line: ${raw}`);
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes "Nan").
    const value = /^nan$/i.test(m[2]!) ? Number.NaN : Number(m[2]);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(m[2]!), raw);
    samples.set(m[1]!, value);
  }
  return samples;
}
