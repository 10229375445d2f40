/**
 * The accepting side of BTP (RFC 23): a WebSocket server whose sockets must authenticate with
 * their first frame within authTimeoutMs. Which usernames and tokens are good is decided by the
 * `authenticate` callback; authenticated sockets are handed to `onSession`. Login attempts are
 * budgeted per remote address before the WebSocket handshake (auth-limiter.ts), and refusals are
 * logged at most once per 10 s per kind with a count of the rest.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import { BTP_TYPE, type BtpPacket, peekBtpHeader } from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { WarnLimiter } from '../utils/warn-limiter.js';
import { type AuthClaim, readAuthClaim } from './auth.js';
import { AuthAttemptLimiter } from './auth-limiter.js';
import { BtpSession } from './session.js';
import { type BtpRequestHandler, CLOSE_CODE, type ResolvedBtpLimits } from './types.js';

const AUTH_WARN_INTERVAL_MS = 10_000;
/** Addresses whose login attempts are tracked at once (see auth-limiter.ts). */
const MAX_TRACKED_ADDRESSES = 10_000;
const TOO_MANY_ATTEMPTS =
  'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n';

/**
 * Why a claim is refused: `reason` goes to our log; the peer is told `told` (default: a plain
 * "authentication failed", no hint whether the username or the token was wrong) in a BTP Error of
 * `code` (default F00 NotAcceptedError; T00 UnreachableError says "try again later").
 */
export interface AuthRefusal {
  reason: string;
  told?: string;
  code?: 'F00' | 'T00';
}

/** The peer id a claim authenticates as, or why it does not. */
export type AuthVerdict = { peerId: string } | AuthRefusal;

/**
 * Decides a claim. A promise (open admission creates the agent's account first) keeps the socket
 * waiting: no request on it is served before the verdict, and the auth Response follows it.
 */
export type Authenticator = (claim: AuthClaim) => AuthVerdict | Promise<AuthVerdict>;

export interface BTPServerOptions {
  port: number;
  host?: string;
  limits: ResolvedBtpLimits;
  logger: Logger;
  authenticate: Authenticator;
  onRequest: BtpRequestHandler;
  /** Called with each socket right after its auth Response was sent. */
  onSession: (peerId: string, session: BtpSession) => void;
}

/** What the refused peer is told: no hint whether the username or the token was wrong. */
const AUTH_FAILED = 'authentication failed';
/** Node refuses a headersTimeout above its requestTimeout (300 s by default). */
const MAX_HEADERS_TIMEOUT_MS = 60_000;

export class BTPServer {
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sessions = new Set<BtpSession>();
  private unauthenticated = 0;
  /** Anyone can knock: refused logins are logged at most every 10 s, with a count of the rest. */
  private readonly authWarnings: WarnLimiter;
  /** Sockets closed at once because too many were waiting to authenticate. */
  refusedUnauthenticated = 0;
  private boundPort = 0;
  private starting: Promise<void> | undefined;
  private stopRequested = false;

  /** Login attempts per remote address (auth-limiter.ts). */
  readonly attempts: AuthAttemptLimiter;

  constructor(private readonly opts: BTPServerOptions) {
    this.authWarnings = new WarnLimiter(opts.logger, AUTH_WARN_INTERVAL_MS);
    this.attempts = new AuthAttemptLimiter({
      burst: opts.limits.authAttemptsPerAddress,
      refillMs: opts.limits.authAttemptRefillMs,
      maxAddresses: MAX_TRACKED_ADDRESSES,
    });
  }

  get port(): number {
    if (this.http === undefined)
      throw new ConnectorError('ERR_NOT_STARTED', 'the BTP server is not listening');
    return this.boundPort;
  }

  get listening(): boolean {
    return this.http !== undefined;
  }

  /** Listens once; later calls share the first call's outcome. */
  start(): Promise<void> {
    this.starting ??= this.listen();
    return this.starting;
  }

  private async listen(): Promise<void> {
    const { limits } = this.opts;
    // Plain HTTP gets 426; slow request headers are bounded like a slow auth frame.
    const http = createServer(
      { headersTimeout: Math.min(limits.authTimeoutMs, MAX_HEADERS_TIMEOUT_MS) },
      (_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
        res.end('BTP speaks WebSocket\n');
      },
    );
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      perMessageDeflate: false,
      maxPayload: limits.maxFrameBytes,
      clientTracking: false,
      closeTimeout: limits.closeTimeoutMs,
    };
    const wss = new WebSocketServer(wsOptions);
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(wss, req, socket, head),
    );
    wss.on('error', (err) => this.opts.logger.error({ err }, 'BTP server error'));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    if (this.stopRequested) {
      await new Promise((resolve) => http.close(resolve));
      return;
    }
    http.on('error', (err) => this.opts.logger.error({ err }, 'BTP server error'));
    const address = http.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.opts.port;
    this.http = http;
    this.wss = wss;
    this.opts.logger.info({ port: this.boundPort }, 'BTP server listening');
  }

  /** Closes every socket (in-flight requests reject with ERR_BTP_CLOSED) and the listener. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const { http, wss } = this;
    if (http === undefined || wss === undefined) return;
    this.http = undefined;
    this.wss = undefined;
    const sessions = [...this.sessions];
    for (const session of sessions) session.close(CLOSE_CODE.goingAway, 'server stopping');
    wss.close();
    const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await Promise.all([...sessions.map((s) => s.closed), httpClosed]);
  }

  /** Before the handshake: an address out of login attempts gets a plain 429 and nothing more. */
  private onUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = req.socket.remoteAddress ?? '';
    if (!this.attempts.take(address, performance.now())) {
      this.authWarnings.warn(
        'auth-throttled',
        { address, refusedTotal: this.attempts.refused },
        'BTP logins from one address over their limit; refused before the WebSocket handshake',
      );
      socket.on('error', () => undefined);
      socket.end(TOO_MANY_ATTEMPTS);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, address));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, address: string): void {
    if (this.http === undefined) {
      ws.terminate();
      return;
    }
    const { limits, logger } = this.opts;
    if (this.unauthenticated >= limits.maxUnauthenticatedSockets) {
      // A flood of sockets that never authenticate must not cost a session, timers and a log line each.
      this.refusedUnauthenticated++;
      ws.close(CLOSE_CODE.tryAgainLater, 'too many sockets waiting to authenticate');
      return;
    }
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const session = new BtpSession(ws, limits, logger, `in ${remote}`);
    this.sessions.add(session);
    this.unauthenticated++;
    let waiting = true;
    const authenticated = () => {
      if (waiting) this.unauthenticated--;
      waiting = false;
    };
    const authTimer = setTimeout(() => {
      this.authWarnings.warn(
        'auth-timeout',
        { socket: session.label },
        'BTP socket did not authenticate in time; closing',
      );
      session.close(CLOSE_CODE.policy, 'auth timeout');
    }, limits.authTimeoutMs);
    authTimer.unref();
    session.once('close', () => {
      clearTimeout(authTimer);
      authenticated();
      this.sessions.delete(session);
    });
    session.interceptor = (s, bytes, packet) => {
      clearTimeout(authTimer);
      authenticated();
      const ok = this.onAuthFrame(s, bytes, packet);
      if (ok === true) this.attempts.succeeded(address);
      else if (ok !== false) void ok.then((yes) => yes && this.attempts.succeeded(address));
    };
  }

  /** RFC 23 §Authentication: the first frame decides; anything but a good auth Message -> F00 and close. */
  private onAuthFrame(
    session: BtpSession,
    bytes: Uint8Array,
    packet: BtpPacket | undefined,
  ): boolean | Promise<boolean> {
    if (packet === undefined) {
      const reason = 'first frame could not be decoded';
      return this.conclude(session, peekBtpHeader(bytes)?.requestId, { reason, told: reason }, '?');
    }
    const { requestId } = packet;
    const claim = readAuthClaim(packet);
    if (typeof claim === 'string')
      return this.conclude(session, requestId, { reason: claim, told: claim }, '?');
    const verdict = this.opts.authenticate(claim);
    if (!(verdict instanceof Promise)) return this.conclude(session, requestId, verdict, claim.username);
    // Until the verdict, the socket serves nothing: a frame sent before the auth Response is refused.
    session.interceptor = refuseUntilAuthenticated;
    return verdict.then(
      (v) => this.conclude(session, requestId, v, claim.username),
      (err: unknown) =>
        this.conclude(
          session,
          requestId,
          { reason: `authenticator failed: ${messageOf(err)}` },
          claim.username,
        ),
    );
  }

  /** Opens the session as the verdict's peer, or refuses it (BTP Error, close). */
  private conclude(
    session: BtpSession,
    requestId: number | undefined,
    verdict: AuthVerdict,
    username: string,
  ): boolean {
    if ('reason' in verdict) {
      const reason = username === '?' ? verdict.reason : `${verdict.reason} (${username})`;
      this.authWarnings.warn('auth-refused', { socket: session.label, reason }, 'BTP auth refused');
      this.refuse(session, requestId, verdict.told ?? AUTH_FAILED, verdict.code ?? 'F00');
      return false;
    }
    // The socket may have closed while an asynchronous verdict was being made.
    if (!session.isOpen || requestId === undefined) return false;
    session.open(verdict.peerId, this.opts.onRequest);
    session.answer(requestId, []);
    this.opts.logger.info({ peer: verdict.peerId, socket: session.label }, 'BTP peer authenticated');
    this.opts.onSession(verdict.peerId, session);
    return true;
  }

  private refuse(
    session: BtpSession,
    requestId: number | undefined,
    told: string,
    code: 'F00' | 'T00',
  ): void {
    const name = code === 'T00' ? 'UnreachableError' : 'NotAcceptedError';
    if (requestId !== undefined) session.answerError(requestId, code, name, told);
    session.close(code === 'T00' ? CLOSE_CODE.tryAgainLater : CLOSE_CODE.policy, 'BTP auth failed');
  }
}

/** A request that arrives while the auth verdict is being made: answered, not served. */
function refuseUntilAuthenticated(
  session: BtpSession,
  _bytes: Uint8Array,
  packet: BtpPacket | undefined,
): void {
  if (packet !== undefined && (packet.type === BTP_TYPE.message || packet.type === BTP_TYPE.transfer))
    session.answerError(packet.requestId, 'F00', 'NotAcceptedError', 'not authenticated yet');
}
