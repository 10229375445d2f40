/**
 * Standalone local delivery (DESIGN §8): a PaymentHandler that POSTs each request as JSON to the
 * business-logic server at `<handlerUrl>/handle-packet` and returns its answer. Every failure is
 * a reject value (T00 when trying again may help, F99 when it will not); nothing throws.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { PaymentHandler, PaymentRequest, PaymentResponse } from '../types/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { WarnLimiter } from '../utils/warn-limiter.js';
import { parseAnswer } from './bls-answer.js';

export interface BlsClientOptions {
  /** Base URL of the BLS; requests go to `<handlerUrl>/handle-packet` (no double slash). */
  handlerUrl: string;
  /** Per-request bound in ms (config localDelivery.timeout), from the call to the full answer. */
  timeoutMs: number;
  /** When set, sent as `Authorization: Bearer <token>`; never logged. */
  authToken?: string;
  /** Bound on concurrent connections to the BLS; requests beyond it queue in the agent. */
  maxSockets?: number;
  /**
   * Separate bound for per-hop (isTransit) copies, on their own pool, so a BLS slow to answer
   * them can never hold the connections that paid deliveries wait for. Default 8.
   */
  maxTransitSockets?: number;
  /** Bound on the response body in bytes. */
  maxResponseBytes?: number;
  /** At most one warn per failure kind in this interval; the rest are counted. */
  warnIntervalMs?: number;
  logger: Logger;
}

const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_TRANSIT_SOCKETS = 8;
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;
const DEFAULT_WARN_INTERVAL_MS = 10_000;
/** setTimeout fires at once for longer delays. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Errors that mean no usable connection: trying again later may succeed. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

type FailureKind = 'timeout' | 'unreachable' | 'http' | 'invalid_body' | 'request' | 'closed';

interface Failure {
  kind: FailureKind;
  code: 'T00' | 'F99';
  message: string;
}

/** What one HTTP exchange ended with: a complete response, or why there is none. */
type Exchange = { status: number; body: Buffer } | { failure: Failure; retryable: boolean };

export class BlsClient {
  readonly handle: PaymentHandler = (request) => this.post(request);

  private readonly url: URL;
  /** The url without credentials or query, the only form that is logged. */
  private readonly logUrl: string;
  private readonly agent: http.Agent;
  private readonly transitAgent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly maxResponseBytes: number;
  private readonly warnings: WarnLimiter;
  /** Aborts of the exchanges in flight, so close() can end them. */
  private readonly inFlight = new Set<(failure: Failure) => void>();
  private closed = false;

  constructor(private readonly options: BlsClientOptions) {
    this.url = handlePacketUrl(options.handlerUrl);
    this.logUrl = `${this.url.origin}${this.url.pathname}`;
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const maxTransitSockets = options.maxTransitSockets ?? DEFAULT_MAX_TRANSIT_SOCKETS;
    requirePositiveInteger('maxTransitSockets', maxTransitSockets);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    requirePositiveInteger('timeoutMs', options.timeoutMs, MAX_TIMER_MS);
    requirePositiveInteger('maxSockets', maxSockets);
    requirePositiveInteger('maxResponseBytes', this.maxResponseBytes);
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets });
    this.transitAgent = new this.transport.Agent({ keepAlive: true, maxSockets: maxTransitSockets });
    this.headers = requestHeaders(options.authToken);
    this.warnings = new WarnLimiter(options.logger, options.warnIntervalMs ?? DEFAULT_WARN_INTERVAL_MS);
  }

  /** Ends the exchanges in flight as rejects and closes every connection. */
  close(): void {
    this.closed = true;
    const closedFailure = failure('closed', 'T00', 'business logic server client is closed');
    for (const abort of [...this.inFlight]) abort(closedFailure);
    this.agent.destroy();
    this.transitAgent.destroy();
  }

  private async post(request: PaymentRequest): Promise<PaymentResponse> {
    if (this.closed) return toReject(failure('closed', 'T00', 'business logic server client is closed'));
    const deadlineMs = Date.now() + this.options.timeoutMs;
    const body = encode(request);
    if (isFailure(body)) return toReject(body);
    let outcome: PaymentResponse | Failure;
    try {
      const agent = request.isTransit === true ? this.transitAgent : this.agent;
      let exchange = await this.exchange(body, deadlineMs, agent);
      // A kept-alive socket the BLS closed while idle fails before the request reached it
      // (Node's documented `reusedSocket` case); one retry on a new socket is safe then.
      if ('failure' in exchange && exchange.retryable && !this.closed)
        exchange = await this.exchange(body, deadlineMs, agent);
      outcome = 'failure' in exchange ? exchange.failure : interpret(exchange.status, exchange.body);
    } catch (err) {
      outcome = failure('unreachable', 'T00', `business logic server unreachable: ${errorCode(err)}`);
    }
    if (!isFailure(outcome)) return outcome;
    if (outcome.kind !== 'closed') this.warnings.warn(outcome.kind, { url: this.logUrl }, outcome.message);
    return toReject(outcome);
  }

  /** One POST, bounded by the deadline and the body limit; settles exactly once. */
  private exchange(body: Buffer, deadlineMs: number, agent: http.Agent): Promise<Exchange> {
    return new Promise((resolve) => {
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) return resolve({ failure: this.timeoutFailure(), retryable: false });
      let responded = false;
      const req = this.transport.request(this.url, {
        method: 'POST',
        agent,
        headers: { ...this.headers, 'content-length': String(body.length) },
      });
      const settle = (exchange: Exchange): void => {
        if (!this.inFlight.delete(abort)) return;
        clearTimeout(timer);
        resolve(exchange);
      };
      const abort = (f: Failure): void => {
        settle({ failure: f, retryable: false });
        req.destroy();
      };
      this.inFlight.add(abort);
      // The timer covers the agent queue, the connect and the whole body; destroying the request
      // also destroys its socket, so a stuck BLS cannot keep a pooled connection.
      const timer = setTimeout(() => abort(this.timeoutFailure()), remainingMs);
      req.on('error', (err) => {
        const retryable = req.reusedSocket && !responded && errorCode(err) === 'ECONNRESET';
        settle({ failure: transportFailure(err), retryable });
      });
      req.on('response', (res) => {
        responded = true;
        const status = res.statusCode ?? 0;
        readBody(res, this.maxResponseBytes, (result) => {
          if (typeof result !== 'string') return settle({ status, body: result });
          // An unreadable body of an error status still reports the status: it says more.
          if (isSuccess(status)) settle({ failure: invalidBody(result), retryable: false });
          else settle({ status, body: Buffer.alloc(0) });
          req.destroy();
        });
      });
      req.end(body);
    });
  }

  private timeoutFailure(): Failure {
    const message = `business logic server did not answer within ${this.options.timeoutMs} ms`;
    return failure('timeout', 'T00', message);
  }
}

/** `<handlerUrl>/handle-packet`, keeping any base path and joining with exactly one slash. */
function handlePacketUrl(handlerUrl: string): URL {
  let url: URL;
  try {
    url = new URL(handlerUrl);
  } catch {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'handlerUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'handlerUrl must be http or https');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/handle-packet`;
  return url;
}

function requestHeaders(authToken: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authToken === undefined || authToken === '') return headers;
  const authorization = `Bearer ${authToken}`;
  try {
    // Checked once here so that a bad token fails at startup, not as a throw per packet.
    http.validateHeaderValue('authorization', authorization);
  } catch {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', 'authToken contains characters not allowed in a header');
  }
  headers.authorization = authorization;
  return headers;
}

function requirePositiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > max)
    throw new ConnectorError('ERR_INVALID_ARGUMENT', `${name} must be an integer from 1 to ${max}`);
}

/** Collects the body up to `maxBytes`; calls back once with it or with why it is unusable. */
function readBody(
  res: http.IncomingMessage,
  maxBytes: number,
  done: (result: Buffer | string) => void,
): void {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    done(`larger than ${maxBytes} bytes`);
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let finished = false;
  const finish = (result: Buffer | string): void => {
    if (finished) return;
    finished = true;
    done(result);
  };
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) return finish(`larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  });
  res.on('end', () => finish(Buffer.concat(chunks, bytes)));
  res.on('error', () => finish('the connection ended inside the body'));
  res.on('close', () => finish('the connection ended inside the body'));
}

/** The answer of a complete HTTP exchange, or why it is not one. */
function interpret(status: number, body: Buffer): PaymentResponse | Failure {
  if (status === 429 || status >= 500)
    return failure('http', 'T00', `business logic server answered HTTP ${status}`);
  if (!isSuccess(status)) return failure('http', 'F99', `business logic server answered HTTP ${status}`);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return invalidBody('not JSON');
  }
  const answer = parseAnswer(value);
  return typeof answer === 'string' ? invalidBody(answer) : answer;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

function transportFailure(err: unknown): Failure {
  const code = errorCode(err);
  // Node's HTTP parser errors: the BLS answered, but not with HTTP we can read.
  if (code.startsWith('HPE_')) return invalidBody(`malformed HTTP (${code})`);
  return failure('unreachable', 'T00', `business logic server unreachable: ${code}`);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  if (typeof code === 'string') return code.slice(0, 64);
  return String((err as Error | null)?.message ?? err).slice(0, 64);
}

function invalidBody(reason: string): Failure {
  return failure('invalid_body', 'T00', `business logic server answered an invalid body: ${reason}`);
}

function failure(kind: FailureKind, code: Failure['code'], message: string): Failure {
  return { kind, code, message };
}

function isFailure<T extends object>(value: T | Failure): value is Failure {
  return 'kind' in value;
}

/** The request as JSON; a request that cannot be encoded (a caller's bug) is a reject too. */
function encode(request: PaymentRequest): Buffer | Failure {
  try {
    return Buffer.from(JSON.stringify(request));
  } catch (err) {
    const reason = String((err as Error | null)?.message ?? err).slice(0, 64);
    return failure('request', 'T00', `business logic server request could not be encoded: ${reason}`);
  }
}

function toReject(f: Failure): PaymentResponse {
  return { accept: false, rejectReason: { code: f.code, message: f.message } };
}
