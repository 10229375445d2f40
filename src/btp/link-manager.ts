/**
 * The node's BTP links (DESIGN §5): one BTPServer for peers that dial in, one BTPClient per peer
 * with a URL, and one logical link per peer over however many authenticated sockets it has.
 * Requests go out on the newest open socket; answers go back on the socket a request came on
 * (BtpSession does that).
 */
import { EventEmitter } from 'node:events';
import { CONTENT_TYPE, type ProtocolData } from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { type AuthClaim, type AuthPolicy, checkToken } from './auth.js';
import { BTPClientManager } from './client-manager.js';
import { MAX_TIMER_MS, resolveBtpLimits } from './limits.js';
import { type BtpTarget, resolveBtpTarget } from './peer-url.js';
import { type AuthVerdict, BTPServer } from './server.js';
import type { AnswerCallback, BtpSession, InFlightCount } from './session.js';
import {
  type BtpLimits,
  type BtpPeer,
  type BtpRequestHandler,
  CLOSE_CODE,
  type ResolvedBtpLimits,
} from './types.js';

export interface LinkManagerOptions {
  nodeId: string;
  port: number;
  host?: string;
  limits?: Partial<BtpLimits>;
  logger: Logger;
  allowNoAuth: boolean;
  /** BTP_PEER_<ID>_SECRET lookup; overrides the peer's authToken when defined. */
  secretFor: (peerId: string) => string | undefined;
  onRequest: BtpRequestHandler;
  /**
   * Open admission: asked about a username no link has. Answers the verdict once the agent is
   * registered (its link added with `addPeer`), or undefined when admission is closed.
   */
  admit?: ((claim: AuthClaim) => Promise<AuthVerdict> | undefined) | undefined;
  /** In [0, 1): reconnect jitter, injectable for determinism. */
  random?: () => number;
}

interface Link {
  readonly peer: BtpPeer;
  readonly target: BtpTarget | undefined;
  /** Authenticated sockets, oldest first. */
  readonly sessions: BtpSession[];
  /** Our requests awaiting an answer, over all sockets. */
  inFlight: number;
  /** The peer's requests being handled, over all sockets (bounded by maxInFlightPerLink). */
  readonly incoming: InFlightCount;
}

const ILP_PROTOCOL = 'ilp';

/**
 * Events: 'link-up' (peerId) when a peer gets its first authenticated socket, 'link-down' (peerId)
 * when it loses its last (also on removePeer and stop), 'link-sockets' (peerId, count) on every change.
 */
export class LinkManager extends EventEmitter {
  readonly limits: ResolvedBtpLimits;
  private readonly links = new Map<string, Link>();
  private readonly server: BTPServer;
  private readonly clients: BTPClientManager;
  private readonly log: Logger;
  private readonly policy: AuthPolicy;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: LinkManagerOptions) {
    super();
    this.limits = resolveBtpLimits(opts.limits);
    this.log = opts.logger;
    this.policy = { allowNoAuth: opts.allowNoAuth, secretFor: opts.secretFor };
    const onSession = (peerId: string, session: BtpSession) => this.attach(peerId, session);
    this.server = new BTPServer({
      port: opts.port,
      ...(opts.host === undefined ? {} : { host: opts.host }),
      limits: this.limits,
      logger: this.log,
      authenticate: (claim) => this.authenticate(claim),
      onRequest: opts.onRequest,
      onSession,
    });
    this.clients = new BTPClientManager({
      limits: this.limits,
      logger: this.log,
      onRequest: opts.onRequest,
      onSession,
      ...(opts.random === undefined ? {} : { random: opts.random }),
    });
  }

  /** Listens on the port (0 = ephemeral), then dials every peer registered with a URL. */
  start(): Promise<void> {
    if (this.state === 'stopped') {
      return Promise.reject(new ConnectorError('ERR_BTP_CLOSED', 'the BTP link manager is stopped'));
    }
    this.starting ??= this.server.start().then(() => {
      if (this.state === 'stopped') return this.server.stop();
      this.state = 'started';
      for (const link of this.links.values()) {
        if (link.target !== undefined) this.clients.add(link.peer.id, link.target);
      }
    });
    return this.starting;
  }

  get port(): number {
    return this.server.port;
  }

  /** Registers a peer; when it has a URL it is dialed (once started) and re-dialed forever. */
  addPeer(peer: BtpPeer): void {
    if (this.state === 'stopped')
      throw new ConnectorError('ERR_BTP_CLOSED', 'the BTP link manager is stopped');
    if (typeof peer.id !== 'string' || peer.id === '') {
      throw new ConnectorError('ERR_INVALID_ARGUMENT', 'a BTP peer needs a non-empty id');
    }
    if (this.links.has(peer.id))
      throw new ConnectorError('ERR_PEER_EXISTS', `BTP peer ${peer.id} already exists`);
    const authToken = peer.authToken ?? '';
    const target =
      peer.url === undefined ? undefined : resolveBtpTarget(peer.url, this.opts.nodeId, authToken);
    const copy: BtpPeer =
      peer.url === undefined ? { id: peer.id, authToken } : { id: peer.id, url: peer.url, authToken };
    this.links.set(peer.id, { peer: copy, target, sessions: [], inFlight: 0, incoming: { count: 0 } });
    if (target !== undefined && this.state === 'started') this.clients.add(peer.id, target);
  }

  /** Stops dialing the peer and closes its sockets; its in-flight requests reject with ERR_BTP_CLOSED. */
  async removePeer(peerId: string): Promise<void> {
    const link = this.links.get(peerId);
    if (link === undefined) return;
    this.links.delete(peerId);
    const sessions = [...link.sessions];
    const clientStopped = this.clients.remove(peerId);
    for (const session of sessions) session.close(CLOSE_CODE.goingAway, 'peer removed');
    if (sessions.length > 0) this.emitSafely('link-down', peerId);
    await Promise.all([clientStopped, ...sessions.map((s) => s.closed)]);
  }

  hasPeer(peerId: string): boolean {
    return this.links.has(peerId);
  }

  /** At least one authenticated open socket. */
  isConnected(peerId: string): boolean {
    const link = this.links.get(peerId);
    return link !== undefined && newestOpen(link) !== undefined;
  }

  /** Authenticated sockets of the peer (open or closing). */
  socketCount(peerId: string): number {
    return this.links.get(peerId)?.sessions.length ?? 0;
  }

  /** Sends a BTP Message; resolves with the Response's protocolData, rejects with a ConnectorError. */
  request(
    peerId: string,
    protocolData: ProtocolData[],
    timeoutMs = this.limits.requestTimeoutMs,
  ): Promise<ProtocolData[]> {
    return new Promise((resolve, reject) => {
      this.call(peerId, protocolData, timeoutMs, (err, answer) =>
        err === undefined ? resolve(answer!) : reject(err),
      );
    });
  }

  /** Sends an ILP packet in protocolData `ilp` and resolves with the `ilp` entry of the Response. */
  sendIlp(peerId: string, ilp: Uint8Array, timeoutMs = this.limits.requestTimeoutMs): Promise<Uint8Array> {
    const protocolData = [{ protocolName: ILP_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data: ilp }];
    // One promise per packet, settled from the answer callback (no second promise for the ilp entry).
    return new Promise((resolve, reject) => {
      this.call(peerId, protocolData, timeoutMs, (err, answer) => {
        if (err !== undefined) return reject(err);
        for (const entry of answer!) if (entry.protocolName === ILP_PROTOCOL) return resolve(entry.data);
        reject(new ConnectorError('ERR_BTP_PROTOCOL', `BTP peer ${peerId} answered without an ilp entry`));
      });
    });
  }

  /** `onAnswer` gets the Response's protocolData or a ConnectorError, exactly once. */
  private call(
    peerId: string,
    protocolData: ProtocolData[],
    timeoutMs: number,
    onAnswer: AnswerCallback,
  ): void {
    const link = this.links.get(peerId);
    const session = link === undefined ? undefined : newestOpen(link);
    if (link === undefined || session === undefined || !(timeoutMs > 0) || this.isFull(link)) {
      onAnswer(this.refusal(peerId, link, session !== undefined, timeoutMs), undefined);
      return;
    }
    link.inFlight++;
    session.call(protocolData, Math.min(timeoutMs, MAX_TIMER_MS), (err, answer) => {
      link.inFlight--;
      onAnswer(err, answer);
    });
  }

  private isFull(link: { inFlight: number }): boolean {
    return link.inFlight >= this.limits.maxInFlightPerLink;
  }

  /** Why a request cannot be sent (checked in this order). */
  private refusal(
    peerId: string,
    link: { inFlight: number } | undefined,
    connected: boolean,
    timeoutMs: number,
  ): ConnectorError {
    if (link === undefined) return new ConnectorError('ERR_PEER_UNKNOWN', `unknown BTP peer ${peerId}`);
    if (!connected) return new ConnectorError('ERR_BTP_CLOSED', `BTP peer ${peerId} is not connected`);
    if (!(timeoutMs > 0))
      return new ConnectorError('ERR_INVALID_ARGUMENT', `invalid BTP request timeout ${timeoutMs}`);
    if (this.isFull(link))
      return new ConnectorError('ERR_BTP_LIMIT', `too many BTP requests in flight to ${peerId}`);
    throw new Error('refusal() called for a request that can be sent');
  }

  /** Stops dialing, rejects in-flight requests with ERR_BTP_CLOSED, closes every socket and the server. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.state = 'stopped';
    const sessions = [...this.links.values()].flatMap((link) => link.sessions);
    for (const session of sessions) session.close(CLOSE_CODE.goingAway, 'node stopping');
    this.stopping = Promise.all([
      this.clients.stopAll(),
      this.server.stop(),
      ...sessions.map((s) => s.closed),
    ]).then(() => undefined);
    return this.stopping;
  }

  private authenticate(claim: AuthClaim): AuthVerdict | Promise<AuthVerdict> {
    const link = this.links.get(claim.username);
    if (link === undefined) return this.opts.admit?.(claim) ?? { reason: 'unknown username' };
    const reason = checkToken(link.peer, claim.token, this.policy);
    return reason === undefined ? { peerId: link.peer.id } : { reason };
  }

  /** A socket authenticated as `peerId` joins its link. */
  private attach(peerId: string, session: BtpSession): void {
    const link = this.links.get(peerId);
    if (link === undefined || this.state === 'stopped') {
      session.close(CLOSE_CODE.goingAway, 'peer removed');
      return;
    }
    const wasUp = link.sessions.length > 0;
    session.shareIncoming(link.incoming);
    link.sessions.push(session);
    session.once('close', () => this.detach(link, session));
    this.emitSafely('link-sockets', peerId, link.sessions.length);
    if (!wasUp) this.emitSafely('link-up', peerId);
    if (link.sessions.length > this.limits.maxSocketsPerPeer) {
      // The oldest socket not yet retiring stops taking our requests and closes once idle.
      link.sessions.find((s) => s !== session && s.isPreferred)?.retire(this.limits.requestTimeoutMs);
    }
  }

  private detach(link: Link, session: BtpSession): void {
    const index = link.sessions.indexOf(session);
    if (index < 0 || this.links.get(link.peer.id) !== link) return;
    link.sessions.splice(index, 1);
    this.emitSafely('link-sockets', link.peer.id, link.sessions.length);
    if (link.sessions.length === 0) this.emitSafely('link-down', link.peer.id);
  }

  /** A throwing listener must not break socket bookkeeping. */
  private emitSafely(event: 'link-up' | 'link-down' | 'link-sockets', peerId: string, count?: number): void {
    try {
      if (count === undefined) this.emit(event, peerId);
      else this.emit(event, peerId, count);
    } catch (err) {
      this.log.error({ err, peer: peerId, event }, 'BTP link listener threw');
    }
  }
}

function newestOpen(link: Link): BtpSession | undefined {
  let fallback: BtpSession | undefined;
  for (let i = link.sessions.length - 1; i >= 0; i--) {
    const session = link.sessions[i]!;
    if (session.isPreferred) return session;
    if (fallback === undefined && session.isOpen) fallback = session;
  }
  // Only retiring sockets are left: still better than refusing the packet.
  return fallback;
}
