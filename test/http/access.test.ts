/** Admin API access control (DESIGN §8): allowlist with CIDR, X-Forwarded-For, X-Api-Key. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  type AccessOptions,
  apiKeyMatches,
  clientAddress,
  compileAllowList,
  createAccessHook,
} from '../../src/http/access.js';
import { ConnectorError } from '../../src/utils/errors.js';

describe('compileAllowList', () => {
  it('matches single IPv4 and IPv6 addresses', () => {
    const list = compileAllowList(['192.168.1.10', '2001:db8::1']);
    assert.equal(list.check('192.168.1.10', 'ipv4'), true);
    assert.equal(list.check('192.168.1.11', 'ipv4'), false);
    assert.equal(list.check('2001:db8::1', 'ipv6'), true);
    assert.equal(list.check('2001:db8::2', 'ipv6'), false);
  });

  it('matches IPv4 and IPv6 CIDR ranges', () => {
    const list = compileAllowList(['10.0.0.0/8', 'fd00::/8', '0.0.0.0/32']);
    assert.equal(list.check('10.255.0.1', 'ipv4'), true);
    assert.equal(list.check('11.0.0.1', 'ipv4'), false);
    assert.equal(list.check('fdab::1', 'ipv6'), true);
    assert.equal(list.check('fe80::1', 'ipv6'), false);
  });

  it('matches IPv4 clients against IPv4-mapped IPv6 entries and the reverse', () => {
    const mapped = compileAllowList(['::ffff:10.1.2.3', '::ffff:172.16.0.0/108']);
    assert.equal(mapped.check('10.1.2.3', 'ipv4'), true);
    assert.equal(mapped.check('172.16.9.9', 'ipv4'), true);
    assert.equal(mapped.check('10.1.2.4', 'ipv4'), false);
    const plain = compileAllowList(['10.1.2.3']);
    assert.equal(plain.check('::ffff:10.1.2.3', 'ipv6'), true);
  });

  it('accepts an empty list (matches nothing)', () => {
    assert.equal(compileAllowList([]).check('127.0.0.1', 'ipv4'), false);
  });

  it('throws ERR_INVALID_ARGUMENT naming every bad entry', () => {
    const bad = ['localhost', '10.0.0.0/33', '::1/129', '1.2.3.4/8/1', '', ' 1.2.3.4', '10.0.0.0/x'];
    assert.throws(
      () => compileAllowList(['127.0.0.1', ...bad, '::1']),
      (err: unknown) => {
        assert.ok(err instanceof ConnectorError);
        assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
        for (const entry of bad) assert.ok(err.message.includes(JSON.stringify(entry)), entry);
        assert.ok(!err.message.includes('"127.0.0.1"'));
        assert.ok(!err.message.includes('"::1"'));
        return true;
      },
    );
  });
});

describe('clientAddress', () => {
  it('uses the socket address and ignores X-Forwarded-For without trustProxy', () => {
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3', false), '127.0.0.1');
    assert.equal(clientAddress('::1', ['10.1.2.3'], false), '::1');
    assert.equal(clientAddress(undefined, '10.1.2.3', false), undefined);
  });

  it('takes the right-most X-Forwarded-For entry (the one our proxy wrote) with trustProxy', () => {
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3', true), '10.1.2.3');
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3, 172.16.0.1, 127.0.0.9', true), '127.0.0.9');
    assert.equal(clientAddress('127.0.0.1', '  10.0.0.1 ,2001:db8::7 ', true), '2001:db8::7');
    assert.equal(clientAddress(undefined, '10.1.2.3', true), '10.1.2.3');
  });

  it('a client cannot choose its address by writing entries on the left', () => {
    assert.equal(clientAddress('127.0.0.1', '127.0.0.1, 203.0.113.7', true), '203.0.113.7');
    assert.equal(clientAddress('127.0.0.1', ['10.1.2.3', '203.0.113.7'], true), '203.0.113.7');
  });

  it('a malformed right-most entry gives no address (never the next one to the left)', () => {
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3, garbage', true), undefined);
    assert.equal(clientAddress('127.0.0.1', 'unknown', true), undefined);
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3:8080', true), undefined);
    assert.equal(clientAddress('127.0.0.1', '[::1]', true), undefined);
  });

  it('an absent or empty header falls back to the socket address', () => {
    assert.equal(clientAddress('127.0.0.1', ',,  ,', true), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '', true), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', undefined, true), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', [], true), '127.0.0.1');
  });

  it('normalises IPv4-mapped IPv6 to IPv4', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1', undefined, false), '127.0.0.1');
    assert.equal(clientAddress('::FFFF:10.0.0.1', undefined, true), '10.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '::ffff:10.1.2.3', true), '10.1.2.3');
    assert.equal(clientAddress('::1', undefined, false), '::1');
  });
});

describe('apiKeyMatches', () => {
  it('accepts the same key', () => {
    assert.equal(apiKeyMatches('s3cret-key', 's3cret-key'), true);
  });

  it('refuses a different key of the same or another length', () => {
    assert.equal(apiKeyMatches('s3cret-key', 's3cret-kez'), false);
    assert.equal(apiKeyMatches('s3cret-key', 's3cret'), false);
    assert.equal(apiKeyMatches('s3cret-key', 's3cret-key-and-more'), false);
  });

  it('refuses a missing or empty key, and never matches an empty expected key', () => {
    assert.equal(apiKeyMatches('s3cret-key', undefined), false);
    assert.equal(apiKeyMatches('s3cret-key', ''), false);
    assert.equal(apiKeyMatches('', ''), false);
    assert.equal(apiKeyMatches('', undefined), false);
  });
});

describe('createAccessHook options', () => {
  it('refuses an empty apiKey and a bad allowlist at creation', () => {
    assert.throws(() => createAccessHook({ apiKey: '', trustProxy: false }), {
      code: 'ERR_INVALID_ARGUMENT',
    });
    assert.throws(() => createAccessHook({ allowedIPs: ['nope'], trustProxy: false }), {
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

/** A real server on loopback port 0 (127.0.0.1 unless told) with one dummy route behind the hook. */
async function serve(options: AccessOptions, fastifyTrustProxy = false, host = '127.0.0.1') {
  const app = Fastify({ logger: false, trustProxy: fastifyTrustProxy });
  app.addHook('onRequest', createAccessHook(options));
  app.get('/admin/ping', async () => ({ ok: true }));
  await app.listen({ port: 0, host });
  return app;
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  assert.ok(typeof address === 'object' && address !== null);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/admin/ping`;
}

async function get(app: FastifyInstance, headers: Record<string, string> = {}) {
  const response = await fetch(urlOf(app), { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('access hook over HTTP', { timeout: 10_000 }, () => {
  const apps: FastifyInstance[] = [];
  const start = async (options: AccessOptions, fastifyTrustProxy = false, host = '127.0.0.1') => {
    const app = await serve(options, fastifyTrustProxy, host);
    apps.push(app);
    return app;
  };
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  describe('API key', () => {
    let app: FastifyInstance;
    before(async () => {
      app = await start({ apiKey: 'the-right-key', trustProxy: false });
    });

    it('401 without a key', async () => {
      const { status, body } = await get(app);
      assert.equal(status, 401);
      assert.equal(body.error, 'Unauthorized');
      assert.equal(typeof body.message, 'string');
    });

    it('401 with a wrong key, without echoing it', async () => {
      const { status, body } = await get(app, { 'x-api-key': 'a-wrong-key' });
      assert.equal(status, 401);
      assert.equal(body.error, 'Unauthorized');
      assert.ok(!JSON.stringify(body).includes('a-wrong-key'));
      assert.ok(!JSON.stringify(body).includes('the-right-key'));
    });

    it('401 with the right key sent twice', async () => {
      const headers = new Headers();
      headers.append('x-api-key', 'the-right-key');
      headers.append('x-api-key', 'the-right-key');
      assert.equal((await fetch(urlOf(app), { headers })).status, 401);
    });

    it('401 for a repeated header that reaches the hook as an array', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/admin/ping',
        headers: { 'x-api-key': ['the-right-key', 'the-right-key'] },
      });
      assert.equal(response.statusCode, 401);
    });

    it('200 with the right key', async () => {
      const { status, body } = await get(app, { 'x-api-key': 'the-right-key' });
      assert.equal(status, 200);
      assert.deepEqual(body, { ok: true });
    });
  });

  it('lets everything through with neither key nor allowlist', async () => {
    const open = await start({ trustProxy: false });
    assert.equal((await get(open)).status, 200);
    const emptyList = await start({ allowedIPs: [], trustProxy: false });
    assert.equal((await get(emptyList)).status, 200);
  });

  it('403 from outside the allowlist', async () => {
    const app = await start({ allowedIPs: ['10.0.0.0/8'], trustProxy: false });
    const { status, body } = await get(app);
    assert.equal(status, 403);
    assert.equal(body.error, 'Forbidden');
    assert.equal(typeof body.message, 'string');
  });

  it('200 inside the allowlist (127.0.0.1/32, ::1)', async () => {
    assert.equal((await get(await start({ allowedIPs: ['127.0.0.1/32'], trustProxy: false }))).status, 200);
    // Over IPv6 loopback: ::1 is allowed by its own entry, and refused by an IPv4-only list.
    const v6 = await start({ allowedIPs: ['::1'], trustProxy: false }, false, '::1');
    assert.equal((await get(v6)).status, 200);
    const v4Only = await start({ allowedIPs: ['127.0.0.1'], trustProxy: false }, false, '::1');
    assert.equal((await get(v4Only)).status, 403);
  });

  it('checks the allowlist before the key', async () => {
    const app = await start({ allowedIPs: ['10.0.0.0/8'], apiKey: 'k', trustProxy: false });
    assert.equal((await get(app, { 'x-api-key': 'k' })).status, 403);
    assert.equal((await get(app)).status, 403);
    const inside = await start({ allowedIPs: ['127.0.0.1'], apiKey: 'k', trustProxy: false });
    assert.equal((await get(inside)).status, 401);
    assert.equal((await get(inside, { 'x-api-key': 'k' })).status, 200);
  });

  it('with trustProxy, X-Forwarded-For decides', async () => {
    const app = await start({ allowedIPs: ['10.0.0.0/8'], trustProxy: true });
    assert.equal((await get(app, { 'x-forwarded-for': '10.1.2.3' })).status, 200);
    assert.equal((await get(app, { 'x-forwarded-for': '8.8.8.8, 10.1.2.3' })).status, 200);
    assert.equal((await get(app, { 'x-forwarded-for': '8.8.8.8' })).status, 403);
    // A spoofed entry on the left does not help: the proxy's entry on the right decides.
    assert.equal((await get(app, { 'x-forwarded-for': '10.1.2.3, 8.8.8.8' })).status, 403);
    // No header, or a malformed one: the socket (127.0.0.1) is outside the list.
    assert.equal((await get(app)).status, 403);
    assert.equal((await get(app, { 'x-forwarded-for': 'garbage' })).status, 403);
  });

  it('without trustProxy, X-Forwarded-For is ignored, whatever fastify trusts', async () => {
    for (const fastifyTrustProxy of [false, true]) {
      const app = await start({ allowedIPs: ['10.0.0.0/8'], trustProxy: false }, fastifyTrustProxy);
      assert.equal(
        (await get(app, { 'x-forwarded-for': '10.1.2.3' })).status,
        403,
        `fastify ${fastifyTrustProxy}`,
      );
    }
  });

  it('with trustProxy, works even when fastify itself does not trust the proxy', async () => {
    const app = await start({ allowedIPs: ['10.0.0.0/8'], trustProxy: true }, false);
    assert.equal((await get(app, { 'x-forwarded-for': '10.1.2.3' })).status, 200);
  });
});
