/**
 * The admin API in-process: deployment mode, where it listens, body limits and error shapes,
 * and IlpSendHandler as a unit. The two-process acceptance test is test/standalone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { IlpSendHandler, parseIlpSendRequest } from '../../src/http/index.js';
import { type ConnectorConfig, ConnectorNode, computeConditionFromData } from '../../src/index.js';
import { type Logger, silentLogger } from '../../src/utils/logger.js';
import { baseConfig } from '../helpers/nodes.js';
import { freePort } from '../helpers/ports.js';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('deployment mode', () => {
  const cases: [Partial<ConnectorConfig>, 'embedded' | 'standalone'][] = [
    [{}, 'embedded'],
    [
      { adminApi: { enabled: true }, localDelivery: { enabled: true, handlerUrl: 'http://127.0.0.1:1' } },
      'standalone',
    ],
    [{ adminApi: { enabled: true } }, 'embedded'],
    [{ localDelivery: { enabled: true, handlerUrl: 'http://127.0.0.1:1' } }, 'embedded'],
    [{ deploymentMode: 'standalone' }, 'standalone'],
    [
      { deploymentMode: 'embedded', adminApi: { enabled: true }, localDelivery: { enabled: true } },
      'embedded',
    ],
  ];
  for (const [extra, mode] of cases) {
    it(`${JSON.stringify(extra)} -> ${mode}`, () => {
      const node = new ConnectorNode(baseConfig('n', extra), silentLogger(), { env: {} });
      assert.equal(node.getDeploymentMode(), mode);
      assert.equal(node.isStandalone(), mode === 'standalone');
      assert.equal(node.isEmbedded(), mode === 'embedded');
    });
  }
});

describe('where the admin API listens', () => {
  const nodes: ConnectorNode[] = [];
  after(async () => {
    for (const n of nodes) await n.stop();
  });

  async function start(
    adminApi: ConnectorConfig['adminApi'],
    environment: 'development' | 'production' = 'development',
  ) {
    const { logger, lines } = capture();
    const node = new ConnectorNode(baseConfig('adm', { adminApi, environment }), logger, { env: {} });
    nodes.push(node);
    await node.start();
    return { node, lines };
  }

  it('without a key outside production: loopback only, whatever host was asked, with a warning', async () => {
    const { node, lines } = await start({ enabled: true, port: 0, host: '0.0.0.0' });
    const res = await fetch(`http://127.0.0.1:${node.adminPort}/admin/routes`);
    assert.equal(res.status, 200);
    const warn = lines().find((l) => String(l.msg).includes('listening on loopback only'));
    assert.equal(warn?.host, '127.0.0.1');
    assert.ok(warn, 'warned');
    const started = lines().find((l) => l.msg === 'connector started');
    assert.equal(started?.adminPort, node.adminPort);
  });

  it('production without a key or allowlist refuses to start, naming the field', () => {
    assert.throws(
      () =>
        new ConnectorNode(
          baseConfig('p', { environment: 'production', adminApi: { enabled: true } }),
          silentLogger(),
          { env: {} },
        ),
      /adminApi\.apiKey/,
    );
  });

  it('with a key: 401 without it, 200 with it; the key is never logged', async () => {
    const key = 'a-long-admin-key-for-this-test';
    const { node, lines } = await start(
      { enabled: true, port: 0, host: '127.0.0.1', apiKey: key },
      'production',
    );
    const url = `http://127.0.0.1:${node.adminPort}/admin/peers`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { 'x-api-key': key } })).status, 200);
    assert.ok(!JSON.stringify(lines()).includes(key));
  });

  it('errors are {error, message}: 413 for a body over the limit, 415 for an unknown type', async () => {
    const { node } = await start({ enabled: true, port: 0 });
    const url = `http://127.0.0.1:${node.adminPort}/admin/ilp/send`;
    const big = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ destination: 'g.x', amount: '1', data: 'A'.repeat(70_000) }),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: string }).error, 'Payload Too Large');
    const text = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    assert.equal(text.status, 415);
    const body = (await text.json()) as { error: string; message: string };
    assert.equal(body.error, 'Unsupported Media Type');
    assert.ok(body.message.length > 0);
  });

  it('a peer whose link is down gives T01; removed with removeRoutes=false its route stays, and gives F02', async () => {
    const { node } = await start({ enabled: true, port: 0 });
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${node.adminPort}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const deadPort = await freePort();
    const added = await api('POST', '/admin/peers', {
      id: 'ghost',
      url: `ws://127.0.0.1:${deadPort}`,
      routes: [{ prefix: 'g.ghost' }],
    });
    assert.equal(added.status, 201);
    assert.equal(added.body.connected, false);
    const send = () =>
      api('POST', '/admin/ilp/send', { destination: 'g.ghost.x', amount: '1', timeoutMs: 2000 });
    assert.equal((await send()).body.code, 'T01');
    const removed = await api('DELETE', '/admin/peers/ghost?removeRoutes=false');
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.removedRoutes, []);
    const routes = (await api('GET', '/admin/routes')).body.routes as { prefix: string }[];
    assert.ok(
      routes.some((r) => r.prefix === 'g.ghost'),
      'the route is kept',
    );
    assert.equal((await send()).body.code, 'F02');
    // Routes the node manages itself cannot be deleted on their own.
    const own = await api('DELETE', '/admin/routes/g.adm');
    assert.equal(own.status, 400);
    assert.match(own.body.message as string, /own address/);
  });

  it('POST /admin/ilp/send to this node itself is delivered to the local handler', async () => {
    const { node } = await start({ enabled: true, port: 0 });
    node.setPacketHandler((req) => ({
      accept: req.amount === '5',
      data: Buffer.from('ok').toString('base64'),
    }));
    const post = (amount: string) =>
      fetch(`http://127.0.0.1:${node.adminPort}/admin/ilp/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ destination: 'g.adm.me', amount, data: Buffer.from('x').toString('base64') }),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const yes = await post('5');
    assert.equal(yes.fulfilled, true);
    assert.equal(yes.fulfillment, computeFulfillment('x'));
    assert.equal(yes.data, Buffer.from('ok').toString('base64'));
    const no = await post('6');
    assert.equal(no.fulfilled, false);
    assert.equal(no.code, 'F99');
  });
});

function computeFulfillment(text: string): string {
  return createHash('sha256').update(Buffer.from(text)).digest('base64');
}

describe('IlpSendHandler', () => {
  const logger = silentLogger();

  it('derives the condition from the data when none is given, and bounds the expiry by timeoutMs', () => {
    const before = Date.now();
    const params = parseIlpSendRequest({ destination: 'g.a.b', amount: '7', data: 'aGk=', timeoutMs: 1000 });
    assert.ok(typeof params !== 'string');
    assert.deepEqual(Buffer.from(params.executionCondition), computeConditionFromData(Buffer.from('hi')));
    assert.equal(params.amount, 7n);
    const expiry = params.expiresAt.getTime();
    assert.ok(expiry >= before + 1000 && expiry <= Date.now() + 1000);
  });

  it('lists every problem in one message', () => {
    const problems = parseIlpSendRequest({ destination: 'x', amount: '01', data: '***', timeoutMs: 0 });
    assert.equal(typeof problems, 'string');
    for (const word of ['destination', 'amount', 'data', 'timeoutMs'])
      assert.match(problems as string, new RegExp(word));
  });

  it('503 while the node is not ready; 500 without detail when sending throws', async () => {
    const notReady = new IlpSendHandler(
      async () => assert.fail('not sent'),
      () => false,
      logger,
    );
    assert.equal((await notReady.handle({ destination: 'g.a', amount: '1' })).statusCode, 503);
    const broken = new IlpSendHandler(
      async () => {
        throw new Error('secret detail');
      },
      () => true,
      logger,
    );
    const res = await broken.handle({ destination: 'g.a', amount: '1' });
    assert.equal(res.statusCode, 500);
    assert.ok(!JSON.stringify(res.body).includes('secret detail'));
  });

  it('maps a Reject to 200 with code, triggeredBy, message and data', async () => {
    const handler = new IlpSendHandler(
      async () => ({ type: 14, code: 'F99', triggeredBy: 'g.z', message: 'nope', data: Buffer.from('d') }),
      () => true,
      logger,
    );
    const res = await handler.handle({ destination: 'g.a', amount: '1' });
    assert.deepEqual(res, {
      statusCode: 200,
      body: {
        fulfilled: false,
        accepted: false,
        code: 'F99',
        triggeredBy: 'g.z',
        message: 'nope',
        data: 'ZA==',
      },
    });
  });
});
