/** Test helpers for the BTP layer: managers on loopback, a raw BTP client, event waits, leak checks. */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { authProtocolData } from '../../src/btp/auth.js';
import { LinkManager, type LinkManagerOptions } from '../../src/btp/link-manager.js';
import type { BtpLimits } from '../../src/btp/types.js';
import {
  BTP_TYPE,
  type BtpPacket,
  decodeBtpPacket,
  encodeBtpPacket,
  type ProtocolData,
} from '../../src/codec/btp.js';
import { type Logger, silentLogger } from '../../src/utils/logger.js';

export const HOST = '127.0.0.1';
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Limits small enough for tests to observe timeouts quickly. */
export const FAST: Partial<BtpLimits> = { reconnectMinMs: 20, reconnectMaxMs: 200, closeTimeoutMs: 500 };

/** An echo handler: answers with `ilp` = 'echo:' + the request's ilp bytes as text. */
export function echo(peerId: string, packet: { protocolData: ProtocolData[] }): ProtocolData[] {
  const ilp = packet.protocolData.find((p) => p.protocolName === 'ilp');
  const body = ilp === undefined ? '' : text.decode(ilp.data);
  return [ilpEntry(`${peerId}>${body}`)];
}

export function ilpEntry(value: string): ProtocolData {
  return { protocolName: 'ilp', contentType: 0, data: utf8.encode(value) };
}

export function textOf(entries: ProtocolData[], name = 'ilp'): string | undefined {
  const entry = entries.find((p) => p.protocolName === name);
  return entry === undefined ? undefined : text.decode(entry.data);
}

export async function startManager(
  opts: Partial<LinkManagerOptions> & { nodeId: string; limits?: Partial<BtpLimits> },
): Promise<LinkManager> {
  const manager = new LinkManager({
    port: 0,
    host: HOST,
    logger: silentLogger(),
    allowNoAuth: false,
    secretFor: () => undefined,
    onRequest: echo,
    random: () => 0.5,
    ...opts,
    limits: { ...FAST, ...opts.limits },
  });
  await manager.start();
  return manager;
}

/** A debug-level logger whose records are emitted as 'log' events (parsed JSON) on `records`. */
export function captureLogger(): { logger: Logger; records: EventEmitter } {
  const records = new EventEmitter();
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.emit('log', JSON.parse(line)) });
  return { logger, records };
}

/** Resolves after `count` log records matched. */
export function logged(
  records: EventEmitter,
  match: (record: Record<string, unknown>) => boolean,
  count = 1,
): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const listener = (record: Record<string, unknown>) => {
      if (!match(record) || ++seen < count) return;
      records.off('log', listener);
      resolve();
    };
    records.on('log', listener);
  });
}

/** Resolves with the arguments of the first emission of `event` that satisfies `match`. */
export function nextEvent(
  emitter: NodeJS.EventEmitter,
  event: string,
  match: (...args: unknown[]) => boolean = () => true,
): Promise<unknown[]> {
  return new Promise((resolve) => {
    const listener = (...args: unknown[]) => {
      if (!match(...args)) return;
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

export function linkUp(manager: LinkManager, peerId: string): Promise<void> {
  if (manager.isConnected(peerId)) return Promise.resolve();
  return nextEvent(manager, 'link-up', (id) => id === peerId).then(() => undefined);
}

/** A BTP speaker over a plain `ws` client, for frames our LinkManager would never send. */
export class RawClient {
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
  private readonly inbox: BtpPacket[] = [];
  private readonly waiters: { match: (p: BtpPacket) => boolean; resolve: (p: BtpPacket) => void }[] = [];
  private nextId = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      const packet = decodeBtpPacket(data);
      const i = this.waiters.findIndex((w) => w.match(packet));
      if (i < 0) this.inbox.push(packet);
      else this.waiters.splice(i, 1)[0]!.resolve(packet);
    });
  }

  static async open(port: number, options: { autoPong?: boolean } = {}): Promise<RawClient> {
    const ws = new WebSocket(`ws://${HOST}:${port}`, { perMessageDeflate: false, ...options });
    const client = new RawClient(ws);
    await once(ws, 'open');
    return client;
  }

  /** Opens a socket and authenticates; asserts the auth Response. */
  static async authed(port: number, username: string, token: string): Promise<RawClient> {
    const client = await RawClient.open(port);
    const answer = await client.request(authProtocolData(username, token));
    assert.equal(answer.type, BTP_TYPE.response);
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: BtpPacket | Uint8Array): void {
    this.ws.send(frame instanceof Uint8Array ? frame : encodeBtpPacket(frame));
  }

  /** Sends a Message and resolves with the answer (Response or Error) to it. */
  request(protocolData: ProtocolData[], requestId = this.nextId++): Promise<BtpPacket> {
    this.send({ type: BTP_TYPE.message, requestId, protocolData });
    return this.answerTo(requestId);
  }

  answerTo(requestId: number): Promise<BtpPacket> {
    return this.take(
      (p) => p.requestId === requestId && (p.type === BTP_TYPE.response || p.type === BTP_TYPE.error),
    );
  }

  /** Resolves with the first received frame (past or future) that matches. */
  take(match: (p: BtpPacket) => boolean = () => true): Promise<BtpPacket> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Frames received that nobody took. */
  get unclaimed(): readonly BtpPacket[] {
    return this.inbox;
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    await this.closed;
  }
}

/** Asserts an error is a ConnectorError with `code`. */
export function hasCode(code: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  };
}

const TRACKED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

export function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of TRACKED) counts[type] = 0;
  for (const type of process.getActiveResourcesInfo()) if (type in counts) counts[type]! += 1;
  return counts;
}

/** Closed handles leave libuv's list a loop turn or two after their close callbacks. */
const SETTLE_TURNS_MAX = 20;

/** Nothing of ours keeps the event loop alive beyond what was there at `baseline`. */
export async function assertNoLeaks(baseline: Record<string, number>): Promise<void> {
  let now = countResources();
  for (let turn = 0; turn < SETTLE_TURNS_MAX && TRACKED.some((t) => now[t]! > baseline[t]!); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    now = countResources();
  }
  for (const type of TRACKED) {
    assert.ok(now[type]! <= baseline[type]!, `${type}: ${now[type]} active, ${baseline[type]} before`);
  }
}
