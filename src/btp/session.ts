/**
 * One BTP 2.0 socket (RFC 23): request-id correlation of our requests, answering the peer's
 * requests through a bounded handler, keepalive, and closing. Knows nothing of auth policy or
 * of links: the server or client that owns it says when it is authenticated.
 * One file over 300 lines on purpose: one socket's state machine, whose methods all read and
 * write the same private state, with the hot path (frame → serve → answer → write) read together.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import {
  BTP_TYPE,
  type BtpError,
  type BtpMessage,
  type BtpPacket,
  type BtpResponse,
  type BtpTransfer,
  decodeBtpPacket,
  encodeBtpPacket,
  type ProtocolData,
  peekBtpHeader,
} from '../codec/btp.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { errorFrame, responseFrame, wsBinaryFrame } from './frames.js';
import { BtpRemoteError } from './remote-error.js';
import { type AnswerCallback, PendingRequests } from './requests.js';
import { type BtpRequestHandler, CLOSE_CODE, type ResolvedBtpLimits } from './types.js';

export type { AnswerCallback };
/** Receives every frame while set (the accepting side's auth step); `packet` is undefined when the frame does not decode. */
export type FrameInterceptor = (
  session: BtpSession,
  bytes: Uint8Array,
  packet: BtpPacket | undefined,
) => void;

/** A count shared by the sockets of one link. */
export interface InFlightCount {
  count: number;
}

let sessionCount = 0;

/** Larger frames go through ws.send, which writes the payload without copying it. */
const MAX_DIRECT_FRAME_BYTES = 4096;

/** Events: 'close' once, when the socket stops being usable (before the socket itself is gone: see `closed`). */
export class BtpSession extends EventEmitter {
  readonly label: string;
  /** Resolves when the underlying socket is fully closed. */
  readonly closed: Promise<void>;
  interceptor: FrameInterceptor | undefined;
  private id: string | undefined;
  private onRequest: BtpRequestHandler | undefined;
  private readonly pending: PendingRequests;
  private incoming = 0;
  /** Peer requests being handled on every socket of the link (shared by LinkManager.attach). */
  private linkIncoming: InFlightCount = { count: 0 };
  private isShutDown = false;
  private pongSeen = true;
  private retireTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private readonly keepalive: NodeJS.Timeout;
  /**
   * ws's socket (`_socket`, stable across ws 8; set, as sessions are made on open sockets), for
   * corking and for writing frames directly.
   */
  private readonly socket: Duplex | undefined;
  /** We frame messages ourselves unless ws has an extension (permessage-deflate) to apply. */
  private readonly direct: boolean;
  /** RFC 6455 §5.3: a client masks its frames; ws sets `url` on clients only. */
  private readonly masked: boolean;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: ResolvedBtpLimits,
    private readonly log: Logger,
    label: string,
  ) {
    super();
    this.label = `${label}#${++sessionCount}`;
    this.pending = new PendingRequests(this.label, log);
    this.socket = (ws as unknown as { _socket?: Duplex })._socket ?? undefined;
    this.direct = this.socket !== undefined && ws.extensions === '';
    this.masked = ws.url !== undefined;
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.pongSeen = true;
    });
    ws.on('error', (err) => this.log.debug({ socket: this.label, err: err.message }, 'BTP socket error'));
    ws.once('close', () => guard(this, () => this.shutDown()));
    this.keepalive = setInterval(keepaliveTick, limits.keepaliveIntervalMs, this);
    this.keepalive.unref();
  }

  /** The authenticated peer, once `open` was called. */
  get peerId(): string | undefined {
    return this.id;
  }

  get isOpen(): boolean {
    return !this.isShutDown && this.ws.readyState === WebSocket.OPEN;
  }

  /** Open, and not being retired: new requests of ours may go on it. */
  get isPreferred(): boolean {
    return this.isOpen && this.retireTimer === undefined;
  }

  /**
   * Replaced by a newer socket: takes no new requests of ours, but keeps serving until every
   * request on it (ours and the peer's) is answered, or `graceMs` has passed, then closes.
   * Closing at once would drop Fulfills in flight on it: value the next hop has paid out.
   */
  retire(graceMs: number): void {
    if (this.retireTimer !== undefined || this.isShutDown) return;
    this.retireTimer = setTimeout(retireNow, graceMs, this);
    this.retireTimer.unref();
    this.closeIfRetiredAndIdle();
  }

  /** @internal */
  closeIfRetiredAndIdle(force = false): void {
    if (this.retireTimer === undefined) return;
    if (force || (this.pending.size === 0 && this.incoming === 0)) {
      this.close(CLOSE_CODE.normal, 'replaced by a newer socket');
    }
  }

  /** Requests of ours awaiting an answer on this socket. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Counts this socket's incoming requests in the link's shared count from now on, so that
   * `maxInFlightPerLink` bounds the peer's requests over all its sockets, not per socket.
   */
  shareIncoming(linkCount: InFlightCount): void {
    linkCount.count += this.linkIncoming.count;
    this.linkIncoming = linkCount;
  }

  /** Marks the socket authenticated as `peerId`: from now on its requests go to `onRequest`. */
  open(peerId: string, onRequest: BtpRequestHandler): void {
    this.id = peerId;
    this.pending.peer = peerId;
    this.onRequest = onRequest;
    this.interceptor = undefined;
  }

  /** Sends a BTP Message; `onAnswer` gets its Response protocolData or the error. */
  call(protocolData: ProtocolData[], timeoutMs: number, onAnswer: AnswerCallback): void {
    const refused = this.sendRequest(protocolData, timeoutMs, onAnswer);
    if (refused !== undefined) onAnswer(refused, undefined);
  }

  request(protocolData: ProtocolData[], timeoutMs: number): Promise<ProtocolData[]> {
    return new Promise((resolve, reject) => {
      this.call(protocolData, timeoutMs, (err, answer) => (err ? reject(err) : resolve(answer!)));
    });
  }

  /** Sends a BTP Response; one that cannot be sent becomes a BTP Error F00. */
  answer(requestId: number, protocolData: ProtocolData[]): void {
    if (!this.isShutDown) this.write(responseFrame(requestId, protocolData, this.limits.maxFrameBytes));
    this.closeIfRetiredAndIdle();
  }

  /** Sends a BTP Error; one that cannot be encoded or is too large is replaced by a plain F00. */
  answerError(
    requestId: number,
    code: string,
    name: string,
    data: string,
    protocolData: ProtocolData[] = [],
  ): void {
    if (this.isShutDown) return;
    this.write(errorFrame(requestId, code, name, data, protocolData, this.limits.maxFrameBytes));
    this.closeIfRetiredAndIdle();
  }

  /** Closes with a closing handshake (bounded by closeTimeoutMs inside ws). */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (!this.shutDown()) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  /** Destroys the socket at once. */
  terminate(): void {
    this.shutDown();
    this.ws.terminate();
  }

  /** @internal the keepalive timer: RFC 6455 ping; no pong since the previous one -> dead. */
  checkAlive(): void {
    if (!this.pongSeen) {
      this.log.warn({ peer: this.id, socket: this.label }, 'BTP socket missed a keepalive pong; terminating');
      this.terminate();
      return;
    }
    this.pongSeen = false;
    this.ws.ping();
  }

  /** @internal a bug surfaced while handling a socket event: log it and drop the socket. */
  fail(err: unknown): void {
    this.log.error({ peer: this.id, socket: this.label, err }, 'BTP socket handler failed; terminating');
    this.terminate();
  }

  /** Registers and sends a request, or says why it cannot be sent. */
  private sendRequest(
    protocolData: ProtocolData[],
    timeoutMs: number,
    onAnswer: AnswerCallback,
  ): Error | undefined {
    if (!this.isOpen) return new ConnectorError('ERR_BTP_CLOSED', `BTP socket ${this.label} is closed`);
    if (this.pending.size >= this.limits.maxInFlightPerLink) {
      return new ConnectorError('ERR_BTP_LIMIT', `too many BTP requests in flight on ${this.label}`);
    }
    let bytes: Uint8Array | undefined;
    const requestId = this.pending.add(timeoutMs, onAnswer);
    try {
      bytes = encodeBtpPacket({ type: BTP_TYPE.message, requestId, protocolData });
    } catch (err) {
      this.pending.drop(requestId);
      return err as Error;
    }
    if (bytes.length > this.limits.maxFrameBytes) {
      this.pending.drop(requestId);
      return new ConnectorError('ERR_BTP_LIMIT', `BTP frame of ${bytes.length} bytes exceeds maxFrameBytes`);
    }
    this.write(bytes);
    return undefined;
  }

  /**
   * Sends a frame. Frames written in one turn of the event loop are corked together and leave
   * in one writev when the turn ends (setImmediate): under load this turns one syscall per
   * packet into one per turn, the largest cost in profiles. ws has no public cork, so this uses
   * its socket. While the socket is open, a frame is written to it directly, framed by
   * `wsBinaryFrame`, in order with whatever ws itself writes (pings, pongs, close): ws.send
   * allocated about 500 bytes per message on top of the frame.
   */
  private write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket === undefined) {
      this.ws.send(bytes);
      if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) this.cutOff(this.ws.bufferedAmount);
      return;
    }
    if (!this.corked) {
      socket.cork();
      this.corked = true;
      setImmediate(uncork, this, socket);
    }
    if (this.direct && this.ws.readyState === WebSocket.OPEN && bytes.length <= MAX_DIRECT_FRAME_BYTES) {
      socket.write(wsBinaryFrame(bytes, this.masked));
    } else {
      this.ws.send(bytes);
    }
    // Within a turn too (a getter read): a turn that writes past the bound is cut at once.
    if (socket.writableLength > this.limits.maxBufferedBytes) this.cutOff(socket.writableLength);
  }

  private cutOff(buffered: number): void {
    if (this.isShutDown) return;
    this.log.warn(
      {
        peer: this.id,
        socket: this.label,
        bufferedBytes: buffered,
        maxBufferedBytes: this.limits.maxBufferedBytes,
      },
      'BTP peer is not reading; closing its socket',
    );
    // After the frame being written has been handed over: the caller may be inside write().
    queueMicrotask(() => this.terminate());
  }

  /** @internal */
  releaseCork(socket: Duplex): void {
    this.corked = false;
    socket.uncork();
    // A peer that stops reading: what the kernel would not take piles up here. Checked once per
    // turn, after the turn's frames were handed over. Past the bound the socket is cut, which
    // rejects our requests in flight on it (ERR_BTP_CLOSED) instead of buffering without end.
    if (socket.writableLength > this.limits.maxBufferedBytes) this.cutOff(socket.writableLength);
  }

  /** @internal the 'message' listener; a method rather than a guarded closure per frame. */
  onMessage(data: RawData, isBinary: boolean): void {
    try {
      this.onFrame(data, isBinary);
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.isShutDown) return;
    if (!isBinary) {
      this.close(CLOSE_CODE.unsupportedData, 'BTP frames are binary');
      return;
    }
    const bytes = toBytes(data);
    let packet: BtpPacket | undefined;
    try {
      packet = decodeBtpPacket(bytes);
    } catch (err) {
      if (this.interceptor === undefined) {
        this.log.warn(
          { peer: this.id, socket: this.label, err: messageOf(err) },
          'undecodable BTP frame; closing',
        );
      }
      packet = undefined;
    }
    if (this.interceptor !== undefined) this.interceptor(this, bytes, packet);
    else if (packet === undefined) this.refuseUndecodable(bytes);
    else if (packet.type === BTP_TYPE.response || packet.type === BTP_TYPE.error) this.settle(packet);
    else this.serve(packet);
  }

  /** RFC 23: an undecodable frame is answered when its header names a request, then the socket closes. */
  private refuseUndecodable(bytes: Uint8Array): void {
    const head = peekBtpHeader(bytes);
    if (head !== undefined && (head.type === BTP_TYPE.message || head.type === BTP_TYPE.transfer)) {
      this.answerError(head.requestId, 'F00', 'NotAcceptedError', 'frame could not be decoded');
    }
    this.close(CLOSE_CODE.protocolError, 'undecodable BTP frame');
  }

  private settle(packet: BtpResponse | BtpError): void {
    if (!this.pending.settle(packet)) {
      this.log.debug({ socket: this.label, requestId: packet.requestId }, 'BTP answer to no request of ours');
    }
    this.closeIfRetiredAndIdle();
  }

  private serve(packet: BtpMessage | BtpTransfer): void {
    const { requestId } = packet;
    if (this.onRequest === undefined || this.id === undefined) {
      this.answerError(requestId, 'F00', 'NotAcceptedError', 'not authenticated');
    } else if (this.linkIncoming.count >= this.limits.maxInFlightPerLink) {
      this.answerError(requestId, 'T03', 'ConnectorBusy', 'too many requests in flight');
    } else {
      this.incoming++;
      this.linkIncoming.count++;
      this.runHandler(this.onRequest, this.id, packet);
    }
  }

  /** Sync results are answered at once; async ones when they settle. Every path decrements `incoming`. */
  private runHandler(onRequest: BtpRequestHandler, peerId: string, packet: BtpMessage | BtpTransfer): void {
    const { requestId } = packet;
    let result: Promise<ProtocolData[]> | ProtocolData[];
    try {
      result = onRequest(peerId, packet);
    } catch (err) {
      this.handled();
      this.answerThrown(requestId, err);
      return;
    }
    if (Array.isArray(result)) {
      this.handled();
      this.answer(requestId, result);
      return;
    }
    Promise.resolve(result).then(
      (protocolData) => this.answerLater(requestId, protocolData),
      (err: unknown) => this.answerThrownLater(requestId, err),
    );
  }

  /** An async handler resolved. Guarded inline rather than by a closure per answer. */
  private answerLater(requestId: number, protocolData: ProtocolData[]): void {
    this.handled();
    try {
      this.answer(requestId, protocolData);
    } catch (err) {
      this.fail(err);
    }
  }

  private answerThrownLater(requestId: number, err: unknown): void {
    this.handled();
    try {
      this.answerThrown(requestId, err);
    } catch (bug) {
      this.fail(bug);
    }
  }

  private handled(): void {
    this.incoming--;
    this.linkIncoming.count--;
  }

  private answerThrown(requestId: number, err: unknown): void {
    if (err instanceof BtpRemoteError) {
      this.answerError(requestId, err.btpCode, err.btpName, err.btpData, err.btpProtocolData);
    } else {
      this.answerError(requestId, 'F00', 'NotAcceptedError', messageOf(err));
    }
  }

  /** Makes the socket unusable: stops keepalive, rejects what is in flight, emits 'close'. Once. */
  private shutDown(): boolean {
    if (this.isShutDown) return false;
    this.isShutDown = true;
    clearInterval(this.keepalive);
    clearTimeout(this.retireTimer);
    this.interceptor = undefined;
    this.onRequest = undefined;
    this.pending.closeAll();
    this.emit('close');
    return true;
  }
}

function keepaliveTick(session: BtpSession): void {
  guard(session, () => session.checkAlive());
}

/** Nothing thrown while handling a socket event may reach the event loop. */
function guard(session: BtpSession, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    session.fail(err);
  }
}

function toBytes(data: RawData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

function uncork(session: BtpSession, socket: Duplex): void {
  session.releaseCork(socket);
}

function retireNow(session: BtpSession): void {
  session.closeIfRetiredAndIdle(true);
}
