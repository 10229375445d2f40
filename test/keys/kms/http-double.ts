/**
 * The HTTP(S) server under every KMS double: port 0 on loopback, every request recorded, faults
 * injected per request, and what the SDK sent checked. A check that fails answers 400 and is
 * kept in `violations`, which each test asserts empty: a wrong request fails the test.
 */

import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface DoubleRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface DoubleResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What the next requests should meet; counters are decremented as requests arrive. */
export interface Faults {
  /** Answer this many requests with the backend's throttling error. */
  throttle: number;
  /** Answer this many requests with a 5xx. */
  fail: number;
  /** Hold each answer this long (for timeouts and concurrency). */
  delayMs: number;
}

const FIXTURES = new URL('../../../../test/fixtures/tls/', import.meta.url);
export const TEST_CA_PEM = readFileSync(new URL('localhost-cert.pem', FIXTURES), 'utf8');

export abstract class HttpDouble {
  readonly requests: DoubleRequest[] = [];
  readonly violations: string[] = [];
  readonly faults: Faults = { throttle: 0, fail: 0, delayMs: 0 };
  /** Most requests in progress at once (for the concurrency bound). */
  maxInFlight = 0;
  #inFlight = 0;
  #server: Server | undefined;

  protected abstract handle(request: DoubleRequest): Promise<DoubleResponse>;
  protected abstract throttled(): DoubleResponse;

  protected violation(message: string): DoubleResponse {
    this.violations.push(message);
    return { status: 400, body: { message: `test double refused: ${message}` } };
  }

  async start(tls = false): Promise<this> {
    const listener = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      void this.#serve(req, res);
    };
    const server = tls
      ? createHttps(
          { cert: TEST_CA_PEM, key: readFileSync(new URL('localhost-key.pem', FIXTURES)) },
          listener,
        )
      : createHttp(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    return this;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  /** Stops listening and drops kept-alive connections (the SDKs keep them). */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #serve(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: DoubleRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(request);
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    let response: DoubleResponse;
    try {
      if (this.faults.delayMs > 0) await new Promise((r) => setTimeout(r, this.faults.delayMs));
      if (this.faults.throttle > 0) {
        this.faults.throttle--;
        response = this.throttled();
      } else if (this.faults.fail > 0) {
        this.faults.fail--;
        response = { status: 503, body: { message: 'test double: service unavailable' } };
      } else {
        response = await this.handle(request);
      }
    } catch (error) {
      response = this.violation(`handler threw: ${(error as Error).message}`);
    } finally {
      this.#inFlight--;
    }
    const body = response.body === undefined ? '' : JSON.stringify(response.body);
    res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
    res.end(body);
  }
}
