/**
 * The dialing side of BTP (RFC 23) for one peer: connect, authenticate, and after every loss
 * re-dial forever with capped exponential backoff and jitter (reset by a successful auth).
 * One socket at a time.
 */
import { type ClientOptions, WebSocket } from 'ws';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { authProtocolData } from './auth.js';
import { backoffDelayMs } from './backoff.js';
import { type BtpTarget, redact } from './peer-url.js';
import { BtpSession } from './session.js';
import { type BtpRequestHandler, CLOSE_CODE, type ResolvedBtpLimits } from './types.js';

export interface BTPClientOptions {
  peerId: string;
  target: BtpTarget;
  limits: ResolvedBtpLimits;
  logger: Logger;
  onRequest: BtpRequestHandler;
  /** Called with the socket right after the peer accepted our auth. */
  onSession: (peerId: string, session: BtpSession) => void;
  /** In [0, 1): jitter source. */
  random?: () => number;
}

export class BTPClient {
  readonly peerId: string;
  private ws: WebSocket | undefined;
  private session: BtpSession | undefined;
  private socketClosed: Promise<void> = Promise.resolve();
  private redialTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private running = false;
  /** Consecutive failures are logged at warn once, then at debug. */
  private failing = false;
  private lastError = '';

  constructor(private readonly opts: BTPClientOptions) {
    this.peerId = opts.peerId;
  }

  /** True while the current socket is authenticated and open. */
  get isConnected(): boolean {
    return this.session?.peerId !== undefined && this.session.isOpen;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.dial();
  }

  /** Stops re-dialing and closes the socket (its in-flight requests reject with ERR_BTP_CLOSED). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.redialTimer);
    this.redialTimer = undefined;
    if (this.session !== undefined) this.session.close(CLOSE_CODE.goingAway, 'peer removed');
    else if (this.ws !== undefined) this.ws.terminate();
    await this.socketClosed;
  }

  private dial(): void {
    this.redialTimer = undefined;
    if (!this.running) return;
    const { limits, target } = this.opts;
    const options: ClientOptions & { closeTimeout: number } = {
      perMessageDeflate: false,
      maxPayload: limits.maxFrameBytes,
      handshakeTimeout: limits.authTimeoutMs,
      followRedirects: false,
      closeTimeout: limits.closeTimeoutMs,
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(target.wsUrl, options);
    } catch (err) {
      this.lastError = messageOf(err);
      this.onSocketGone(undefined);
      return;
    }
    this.ws = ws;
    this.socketClosed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', (err) => {
      this.lastError = err.message;
    });
    ws.once('open', () => this.authenticate(ws));
    ws.once('close', () => this.onSocketGone(ws));
  }

  private authenticate(ws: WebSocket): void {
    const { limits, logger, target, peerId } = this.opts;
    const session = new BtpSession(ws, limits, logger, `out ${redact(target.wsUrl)}`);
    this.session = session;
    session.call(authProtocolData(target.username, target.token), limits.authTimeoutMs, (err) => {
      if (err !== undefined) {
        this.lastError = `auth: ${err.message}`;
        session.close(CLOSE_CODE.policy, 'BTP auth failed');
        return;
      }
      // Synchronous with the auth Response, so a request right behind it finds the socket open.
      session.open(peerId, this.opts.onRequest);
      this.attempt = 0;
      this.failing = false;
      logger.info({ peer: peerId, socket: session.label }, 'BTP link authenticated');
      this.opts.onSession(peerId, session);
    });
  }

  private onSocketGone(ws: WebSocket | undefined): void {
    const { logger, limits, peerId } = this.opts;
    if (ws !== undefined && ws !== this.ws) return;
    const wasUp = this.session?.peerId !== undefined;
    this.ws = undefined;
    this.session = undefined;
    if (!this.running) return;
    const delayMs = backoffDelayMs(this.attempt++, limits.reconnectMinMs, limits.reconnectMaxMs, this.random);
    const fields = { peer: peerId, url: redact(this.opts.target.wsUrl), delayMs, err: this.lastError };
    if (wasUp) logger.info(fields, 'BTP link socket closed; re-dialing');
    else if (!this.failing) logger.warn(fields, 'BTP dial failed; re-dialing');
    else logger.debug({ ...fields, attempt: this.attempt }, 'BTP dial failed; re-dialing');
    this.failing = !wasUp;
    this.lastError = '';
    this.redialTimer = setTimeout(() => this.dial(), delayMs);
  }

  private get random(): () => number {
    return this.opts.random ?? Math.random;
  }
}
