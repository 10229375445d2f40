/** The x402 wire shapes: strict header decoding (never throws), routes and amounts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { baseSepolia } from 'viem/chains';
import { createPaymentHeader } from 'x402/client';
import {
  decodePaymentHeader,
  encodeHttpResponse,
  matchRoute,
  parseHttpRequest,
  scaleExactly,
} from '../../src/gateway/index.js';
import { ANVIL_KEYS } from '../settlement/anvil.js';

describe('decodePaymentHeader', () => {
  it("reads what x402's own client writes", async () => {
    const wallet = createWalletClient({
      account: privateKeyToAccount(ANVIL_KEYS[3]),
      chain: baseSepolia,
      transport: http('http://127.0.0.1:1'),
    });
    const header = await createPaymentHeader(wallet as never, 1, {
      scheme: 'exact',
      network: 'base-sepolia',
      maxAmountRequired: '1234',
      resource: 'http://127.0.0.1/x',
      description: '',
      mimeType: '',
      payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      maxTimeoutSeconds: 60,
      asset: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      extra: { name: 'Test Token', version: '2' },
    });
    const decoded = decodePaymentHeader(header);
    assert.equal(decoded.ok, true);
    if (!decoded.ok) return;
    assert.equal(decoded.value.network, 'base-sepolia');
    assert.equal(decoded.value.authorization.value, 1234n);
    assert.equal(decoded.value.authorization.from, privateKeyToAccount(ANVIL_KEYS[3]).address);
    assert.match(decoded.value.signature, /^0x[0-9a-f]{130}$/);
  });

  it('refuses garbage with invalid_payload and never throws', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
    for (const bad of ['', '!!', 'e30=', b64({ x402Version: 1 }), b64([]), 'A'.repeat(5000)]) {
      const decoded = decodePaymentHeader(bad);
      assert.equal(decoded.ok, false, bad.slice(0, 20));
      if (!decoded.ok) assert.equal(decoded.error, 'invalid_payload');
    }
    const tooBig = b64({
      x402Version: 1,
      scheme: 'exact',
      network: 'base',
      payload: {
        signature: '0x00',
        authorization: {
          from: `0x${'1'.repeat(40)}`,
          to: `0x${'2'.repeat(40)}`,
          value: '1'.repeat(19),
          validAfter: '0',
          validBefore: '1',
          nonce: `0x${'3'.repeat(64)}`,
        },
      },
    });
    assert.equal(decodePaymentHeader(tooBig).ok, false);
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        decodePaymentHeader(s);
        decodePaymentHeader(Buffer.from(s).toString('base64'));
      }),
      { seed: 18, numRuns: 500 },
    );
  });
});

describe('routes', () => {
  const route = (path: string) => ({
    path,
    destination: 'g.x',
    price: 1n,
    amount: 1n,
    maxTimeoutSeconds: 60,
    description: '',
    mimeType: '',
  });

  it('matches the longest path prefix on / boundaries', () => {
    const routes = [route('/a'), route('/a/b'), route('/c/')];
    assert.equal(matchRoute(routes, '/a')?.path, '/a');
    assert.equal(matchRoute(routes, '/a/x')?.path, '/a');
    assert.equal(matchRoute(routes, '/a/b/c')?.path, '/a/b');
    assert.equal(matchRoute(routes, '/ab'), undefined);
    assert.equal(matchRoute(routes, '/c/d')?.path, '/c/');
  });

  it('moves a price between decimals exactly or not at all', () => {
    assert.equal(scaleExactly(10n ** 12n, 18, 9), 1000n);
    assert.equal(scaleExactly(10n ** 12n + 1n, 18, 9), undefined);
    assert.equal(scaleExactly(5n, 6, 9), 5000n);
    assert.equal(scaleExactly(7n, 6, 6), 7n);
  });
});

describe('HTTP messages in ILP data', () => {
  it('parses an absolute-form request and refuses everything else without throwing', () => {
    const ok = parseHttpRequest(
      Buffer.from(
        'POST https://api.example.com/a?b=1 HTTP/1.1\r\nContent-Type: text/plain\r\ncontent-length: 2\r\n\r\nhi',
      ),
    );
    assert.equal(ok.ok, true);
    if (ok.ok) {
      assert.equal(ok.value.method, 'POST');
      assert.equal(ok.value.url.href, 'https://api.example.com/a?b=1');
      assert.equal(ok.value.headers.get('content-type'), 'text/plain');
      assert.equal(Buffer.from(ok.value.body).toString(), 'hi');
    }
    for (const bad of [
      'GET /relative HTTP/1.1\r\n\r\n',
      'GET ftp://x/ HTTP/1.1\r\n\r\n',
      'BREW http://x/ HTTP/1.1\r\n\r\n',
      'GET http://x/ HTTP/1.0\r\n\r\n',
      'GET http://x/ HTTP/1.1\r\nno-colon\r\n\r\n',
      'GET http://x/ HTTP/1.1\r\ncontent-length: 5\r\n\r\nabc',
      'GET http://x/ HTTP/1.1\r\n',
    ]) {
      assert.equal(parseHttpRequest(Buffer.from(bad)).ok, false, JSON.stringify(bad));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 }), (bytes, text) => {
        parseHttpRequest(bytes);
        parseHttpRequest(Buffer.from(`GET ${text} HTTP/1.1\r\n${text}\r\n\r\n`));
      }),
      { seed: 1802, numRuns: 500 },
    );
  });

  it('writes a response with its length', () => {
    const bytes = encodeHttpResponse(200, 'OK', [['content-type', 'text/plain']], Buffer.from('body'));
    assert.equal(
      Buffer.from(bytes).toString('latin1'),
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nbody',
    );
  });
});
