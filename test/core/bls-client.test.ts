/** BlsClient against real HTTP servers on loopback: answers, failures as rejects, bounds, logging. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { computeConditionFromData, computeFulfillmentFromData } from '../../src/codec/condition.js';
import { cutUtf8, parseAnswer } from '../../src/core/bls-answer.js';
import { BlsClient, type BlsClientOptions } from '../../src/core/bls-client.js';
import { createPaymentHandlerAdapter } from '../../src/core/payment-handler.js';
import type { LocalDeliveryRequest, PaymentRequest, PaymentResponse } from '../../src/types/index.js';
import { silentLogger } from '../../src/utils/logger.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Answer = (seen: Seen, res: ServerResponse, req: IncomingMessage) => void;

/** A loopback HTTP server that records every request and tracks its open connections. */
class Bls {
  readonly seen: Seen[] = [];
  readonly sockets = new Set<Socket>();
  openMax = 0;
  private readonly server: Server;

  constructor(answer: Answer) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = {
          path: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        };
        this.seen.push(seen);
        answer(seen, res, req);
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.openMax = Math.max(this.openMax, this.sockets.size);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    assert.ok(typeof address === 'object' && address !== null);
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Runs `body` with a server and a client, and closes both whatever happens. */
async function withBls(
  answer: Answer,
  body: (client: BlsClient, bls: Bls, url: string) => Promise<void>,
  options: Partial<BlsClientOptions> = {},
): Promise<void> {
  const bls = new Bls(answer);
  const url = await bls.listen();
  const client = new BlsClient({ handlerUrl: url, timeoutMs: 2000, logger: silentLogger(), ...options });
  try {
    await body(client, bls, url);
  } finally {
    client.close();
    await bls.close();
  }
}

const packetData = Buffer.from('hello bls');

function request(extra: Partial<PaymentRequest> = {}): PaymentRequest {
  return { ...deliveryRequest(), paymentId: 'pay-1', ...extra };
}

function deliveryRequest(): LocalDeliveryRequest {
  return {
    destination: 'g.me.shop',
    amount: '1000',
    executionCondition: computeConditionFromData(packetData).toString('base64'),
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
    data: packetData.toString('base64'),
    sourcePeer: 'alice',
  };
}

function rejectOf(answer: PaymentResponse): { code: string; message: string } {
  assert.equal(answer.accept, false);
  assert.ok(answer.rejectReason);
  return answer.rejectReason;
}

describe('answers of a working BLS', () => {
  it('accept with a fulfillment is returned as is, and the adapter fulfills with it', async () => {
    const fulfillment = randomBytes(32).toString('base64');
    const data = Buffer.from('thanks').toString('base64');
    await withBls(
      (_, res) => json(res, 200, { accept: true, fulfillment, data, extra: 'ignored' }),
      async (client) => {
        assert.deepEqual(await client.handle(request()), { accept: true, fulfillment, data });
        const adapter = createPaymentHandlerAdapter(client.handle);
        assert.deepEqual(await adapter(deliveryRequest(), 'alice'), { fulfill: { fulfillment, data } });
      },
    );
  });

  it('accept without a fulfillment: the adapter derives it from a data-derived condition', async () => {
    await withBls(
      (_, res) => json(res, 200, { accept: true }),
      async (client) => {
        const adapter = createPaymentHandlerAdapter(client.handle);
        const fulfillment = computeFulfillmentFromData(packetData).toString('base64');
        assert.deepEqual(await adapter(deliveryRequest(), 'alice'), { fulfill: { fulfillment } });
      },
    );
  });

  it('a business reject maps to its ILP code; an ILP code passes through', async () => {
    const reasons = [
      { code: 'insufficient_funds', message: 'no funds' },
      { code: 'F06', message: 'not expected' },
    ];
    await withBls(
      (seen, res) => {
        const index = (seen.body as { amount: string }).amount === '1' ? 0 : 1;
        json(res, 200, { accept: false, rejectReason: reasons[index] });
      },
      async (client) => {
        const adapter = createPaymentHandlerAdapter(client.handle);
        const funds = await adapter({ ...deliveryRequest(), amount: '1' }, 'alice');
        assert.deepEqual(funds, { reject: { code: 'T04', message: 'no funds' } });
        const direct = await client.handle(request({ amount: '1' }));
        assert.deepEqual(direct.rejectReason, reasons[0]);
        const passthrough = await adapter(deliveryRequest(), 'alice');
        assert.deepEqual(passthrough, { reject: { code: 'F06', message: 'not expected' } });
      },
    );
  });

  it('posts exactly the request as JSON to <handlerUrl>/handle-packet, with the bearer token', async () => {
    await withBls(
      (_, res) => json(res, 200, { accept: true }),
      async (_client, bls, url) => {
        const tokened = new BlsClient({
          handlerUrl: `${url}/`,
          timeoutMs: 2000,
          authToken: 's3cret',
          logger: silentLogger(),
        });
        const based = new BlsClient({ handlerUrl: `${url}/bls/`, timeoutMs: 2000, logger: silentLogger() });
        try {
          const sent = request();
          await tokened.handle(sent);
          await based.handle(sent);
          const [withToken, withBase] = bls.seen;
          assert.equal(withToken?.path, '/handle-packet');
          assert.deepEqual(withToken?.body, sent);
          assert.equal(withToken?.headers['content-type'], 'application/json');
          assert.equal(withToken?.headers.authorization, 'Bearer s3cret');
          assert.equal(withBase?.path, '/bls/handle-packet');
          assert.equal(withBase?.headers.authorization, undefined);
        } finally {
          tokened.close();
          based.close();
        }
      },
    );
  });

  it('a transit copy is posted with isTransit: true and a paymentId', async () => {
    await withBls(
      (_, res) => json(res, 200, { accept: true }),
      async (client, bls) => {
        const adapter = createPaymentHandlerAdapter(client.handle);
        await adapter({ ...deliveryRequest(), isTransit: true }, 'alice');
        const body = bls.seen[0]?.body as Record<string, unknown>;
        assert.equal(body.isTransit, true);
        assert.equal(typeof body.paymentId, 'string');
      },
    );
  });
});

describe('failures become rejects', () => {
  it('HTTP 500, 503 and 429 are T00; 404 is F99', async () => {
    await withBls(
      (seen, res) => json(res, Number((seen.body as { amount: string }).amount), { error: 'x' }),
      async (client) => {
        for (const [status, code] of [
          [500, 'T00'],
          [503, 'T00'],
          [429, 'T00'],
          [404, 'F99'],
        ] as const) {
          const reason = rejectOf(await client.handle(request({ amount: String(status) })));
          assert.deepEqual(reason, { code, message: `business logic server answered HTTP ${status}` });
        }
      },
    );
  });

  it('a body that is not JSON is T00', async () => {
    await withBls(
      (_, res) => res.writeHead(200).end('<html>oops</html>'),
      async (client) => {
        assert.deepEqual(rejectOf(await client.handle(request())), {
          code: 'T00',
          message: 'business logic server answered an invalid body: not JSON',
        });
      },
    );
  });

  it('valid JSON of the wrong shape is T00, with the reason', async () => {
    const bodies = [
      [[], 'not a JSON object'],
      [{ accept: 'yes' }, 'accept is not a boolean'],
      [{ accept: true, fulfillment: randomBytes(31).toString('base64') }, 'fulfillment is not base64 of 32'],
      [
        { accept: true, fulfillment: randomBytes(32).toString('base64url') },
        'fulfillment is not base64 of 32',
      ],
      [{ accept: true, data: 'not base64!' }, 'data is not base64'],
      [{ accept: false, rejectReason: 'no' }, 'rejectReason is not an object'],
      [{ accept: false, rejectReason: { code: '', message: 'm' } }, 'rejectReason.code'],
      [{ accept: false, rejectReason: { code: 'x'.repeat(65), message: 'm' } }, 'rejectReason.code'],
      [{ accept: false, rejectReason: { code: 'F99', message: 7 } }, 'rejectReason.message'],
    ] as const;
    await withBls(
      (seen, res) => json(res, 200, bodies[Number((seen.body as { amount: string }).amount)]?.[0]),
      async (client) => {
        for (const [index, [, reason]] of bodies.entries()) {
          const got = rejectOf(await client.handle(request({ amount: String(index) })));
          assert.equal(got.code, 'T00');
          assert.ok(got.message.startsWith(`business logic server answered an invalid body: ${reason}`));
        }
      },
    );
  });

  it('null optional fields count as absent (many JSON writers emit null for unset values)', () => {
    assert.deepEqual(parseAnswer({ accept: true, fulfillment: null, data: null, rejectReason: null }), {
      accept: true,
    });
    assert.deepEqual(parseAnswer({ accept: null }), 'accept is not a boolean');
  });

  it('a reject message is cut to 8191 bytes of UTF-8, never inside a character', () => {
    const long = parseAnswer({ accept: false, rejectReason: { code: 'F99', message: 'é'.repeat(5000) } });
    assert.ok(typeof long === 'object');
    assert.equal(long.rejectReason?.message, 'é'.repeat(4095));
    assert.equal(cutUtf8('abc', 2), 'ab');
    assert.equal(cutUtf8('a€', 3), 'a');
  });

  it('a body over maxResponseBytes is T00, with or without a content-length', async () => {
    const big = JSON.stringify({ accept: true, data: Buffer.alloc(3000).toString('base64') });
    await withBls(
      (seen, res) => {
        if ((seen.body as { amount: string }).amount === '1') res.writeHead(200).end(big);
        else res.writeHead(200).end(big.slice(0, 2000), () => res.end(big.slice(2000)));
      },
      async (client) => {
        for (const amount of ['1', '2']) {
          assert.deepEqual(rejectOf(await client.handle(request({ amount }))), {
            code: 'T00',
            message: 'business logic server answered an invalid body: larger than 1024 bytes',
          });
        }
      },
      { maxResponseBytes: 1024 },
    );
  });

  it('a BLS that never answers is T00 after timeoutMs, and its socket is destroyed', async () => {
    await withBls(
      () => {},
      async (client, bls) => {
        const startedMs = Date.now();
        const answer = await client.handle(request());
        const elapsedMs = Date.now() - startedMs;
        assert.deepEqual(rejectOf(answer), {
          code: 'T00',
          message: 'business logic server did not answer within 200 ms',
        });
        assert.ok(elapsedMs >= 190 && elapsedMs < 1000, `took ${elapsedMs} ms`);
        const [socket] = bls.sockets;
        if (socket !== undefined) await once(socket, 'close');
        assert.equal(bls.sockets.size, 0);
      },
      { timeoutMs: 200 },
    );
  });

  it('a refused connection is T00 unreachable', async () => {
    const dead = new Bls(() => {});
    const url = await dead.listen();
    await dead.close();
    const client = new BlsClient({ handlerUrl: url, timeoutMs: 2000, logger: silentLogger() });
    try {
      assert.deepEqual(rejectOf(await client.handle(request())), {
        code: 'T00',
        message: 'business logic server unreachable: ECONNREFUSED',
      });
    } finally {
      client.close();
    }
  });

  it('a connection reset on a new socket is T00 unreachable; on a reused one it is retried once', async () => {
    const requestsBySocket = new Map<Socket, number>();
    await withBls(
      (seen, res, req) => {
        const count = (requestsBySocket.get(req.socket) ?? 0) + 1;
        requestsBySocket.set(req.socket, count);
        const resetFirst = (seen.body as { amount: string }).amount === 'reset';
        // A server that closes a kept-alive connection just as the second request arrives.
        if ((resetFirst && count === 1) || count === 2) req.socket.destroy();
        else json(res, 200, { accept: true });
      },
      async (client, bls) => {
        assert.deepEqual(rejectOf(await client.handle(request({ amount: 'reset' }))), {
          code: 'T00',
          message: 'business logic server unreachable: ECONNRESET',
        });
        assert.equal((await client.handle(request())).accept, true);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal((await client.handle(request())).accept, true);
        assert.equal(bls.seen.length, 4);
      },
    );
  });

  it('a request that cannot be encoded as JSON is T00 and never reaches the BLS', async () => {
    await withBls(
      (_, res) => json(res, 200, { accept: true }),
      async (client, bls) => {
        const reason = rejectOf(await client.handle(request({ amount: 1n as unknown as string })));
        assert.equal(reason.code, 'T00');
        assert.ok(reason.message.startsWith('business logic server request could not be encoded'));
        assert.equal(bls.seen.length, 0);
      },
    );
  });

  it('an answer that is not HTTP is T00', async () => {
    const server = createTcpServer((socket) => socket.end('hello\r\n\r\n'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    const client = new BlsClient({
      handlerUrl: `http://127.0.0.1:${address.port}`,
      timeoutMs: 2000,
      logger: silentLogger(),
    });
    try {
      const reason = rejectOf(await client.handle(request()));
      assert.equal(reason.code, 'T00');
      assert.ok(reason.message.startsWith('business logic server answered an invalid body: malformed HTTP'));
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('bounds and lifecycle', () => {
  it('maxSockets bounds the connections; requests beyond it queue and are all answered', async () => {
    await withBls(
      (_, res) => setTimeout(() => json(res, 200, { accept: true }), 20),
      async (client, bls) => {
        const answers = await Promise.all(Array.from({ length: 10 }, () => client.handle(request())));
        assert.ok(answers.every((a) => a.accept));
        assert.equal(bls.seen.length, 10);
        assert.ok(bls.openMax <= 2, `saw ${bls.openMax} connections`);
      },
      { maxSockets: 2 },
    );
  });

  it('transit copies have their own pool: held ones never delay a paid delivery', async () => {
    const held: ServerResponse[] = [];
    let holding = true;
    let poolFull: () => void = () => {};
    const full = new Promise<void>((resolve) => {
      poolFull = resolve;
    });
    await withBls(
      (seen, res) => {
        if ((seen.body as { isTransit?: boolean }).isTransit === true && holding) {
          if (held.push(res) === 2) poolFull();
        } else json(res, 200, { accept: true });
      },
      async (client, bls) => {
        const transits = Array.from({ length: 6 }, () => client.handle(request({ isTransit: true })));
        await full;
        // Paid deliveries go through while every transit connection is held by the BLS.
        const paid = await Promise.all(Array.from({ length: 4 }, () => client.handle(request())));
        assert.ok(paid.every((a) => a.accept));
        assert.equal(held.length, 2, 'the transit pool is bounded by maxTransitSockets');
        holding = false;
        for (const res of held) json(res, 200, { accept: true });
        assert.ok((await Promise.all(transits)).every((a) => a.accept));
        assert.ok(bls.openMax <= 4, `saw ${bls.openMax} connections`);
      },
      { maxSockets: 2, maxTransitSockets: 2 },
    );
  });

  it('close() ends a request in flight as a reject, and later requests are rejects', async () => {
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await withBls(
      () => arrived(),
      async (client) => {
        const pending = client.handle(request());
        await arrival;
        client.close();
        const closed = { code: 'T00', message: 'business logic server client is closed' };
        assert.deepEqual(rejectOf(await pending), closed);
        assert.deepEqual(rejectOf(await client.handle(request())), closed);
      },
    );
  });

  it('bad options throw at construction', () => {
    const base = { handlerUrl: 'http://127.0.0.1:1', timeoutMs: 100, logger: silentLogger() };
    assert.throws(() => new BlsClient({ ...base, handlerUrl: 'ftp://x' }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => new BlsClient({ ...base, timeoutMs: 0 }), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => new BlsClient({ ...base, authToken: 'a\nb' }), { code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('warn logging', () => {
  it('logs at most one warn per failure kind per interval, with the url and the suppressed count', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    await withBls(
      (_, res) => json(res, 500, {}),
      async (client, _bls, url) => {
        for (let i = 0; i < 5; i++) await client.handle(request());
        assert.equal(lines.length, 1);
        assert.equal(lines[0]?.url, `${url}/handle-packet`);
        assert.equal(lines[0]?.suppressed, 0);
        assert.equal(lines[0]?.msg, 'business logic server answered HTTP 500');
        await new Promise((resolve) => setTimeout(resolve, 120));
        await client.handle(request());
        assert.equal(lines.length, 2);
        assert.equal(lines[1]?.suppressed, 4);
        assert.ok(!JSON.stringify(lines).includes('s3cret'));
      },
      { logger, authToken: 's3cret', warnIntervalMs: 100 },
    );
  });
});
