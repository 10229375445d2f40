/**
 * The ceiling: a byte relay on raw `ws` that forwards BTP frames without parsing them. It answers
 * each accepted socket's first (auth) frame with an empty BTP Response of the same requestId; the
 * socket whose auth_username is `receiver` is the downstream side, any other the upstream side.
 * With `next`, the downstream side is instead a socket it dials (and authenticates) to the next
 * relay. From then on every frame from upstream is sent downstream and back, as is.
 *
 * It does what a connector cannot skip (a WebSocket read and write per frame per hop) and nothing
 * else, so a connector's packets/s read as a fraction of what Node and the machine allow.
 *
 *   node dist/bench/targets/relay.js '{"next":"ws://127.0.0.1:4000"}'
 */
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { decodeBtpPacket } from '../../src/codec/index.js';
import { die, exitOnSignal, optionsFromArgv, tell } from '../harness/messages.js';
import { batchWrites, dialBtp } from '../load/dial.js';
import { emptyResponse } from '../load/frames.js';

export interface RelayOptions {
  /** Dial this relay as the downstream side. */
  next?: string;
  /** Coalesce the frames forwarded in one tick into one write per socket (`--relay-batch`). */
  batch?: boolean;
}

const MAX_FRAME_BYTES = 1 << 20;

/** The auth frame's username (only the first frame of a socket is ever decoded). */
function usernameOf(frame: Buffer): string {
  const packet = decodeBtpPacket(frame);
  const entry = packet.protocolData.find((p) => p.protocolName === 'auth_username');
  return entry === undefined ? '' : Buffer.from(entry.data).toString('utf8');
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<RelayOptions>();
  let upstream: WebSocket | undefined;
  let downstream: WebSocket | undefined;
  const corks = new WeakMap<WebSocket, () => void>();
  const sendTo = (ws: WebSocket | undefined, data: RawData) => {
    if (ws === undefined) return;
    corks.get(ws)?.();
    ws.send(data as Buffer);
  };
  const toDownstream = (data: RawData) => sendTo(downstream, data);
  const toUpstream = (data: RawData) => sendTo(upstream, data);
  const attached = (ws: WebSocket) => {
    if (opts.batch === true) corks.set(ws, batchWrites(ws));
    return ws;
  };

  if (opts.next !== undefined) {
    downstream = attached(await dialBtp({ url: opts.next, username: 'relay', token: 'n' }));
    downstream.on('message', toUpstream);
    tell({ type: 'peer', id: 'next' });
  }

  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
    clientTracking: false,
  });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.once('message', (first: RawData) => {
      const frame = first as Buffer;
      const username = usernameOf(frame);
      ws.send(emptyResponse(frame.readUInt32BE(1)));
      if (username === 'receiver' && opts.next === undefined) {
        downstream = attached(ws);
        ws.on('message', toUpstream);
      } else {
        upstream = attached(ws);
        ws.on('message', toDownstream);
      }
      tell({ type: 'peer', id: username });
    });
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  tell({ type: 'listening', port: (wss.address() as AddressInfo).port });
}

main().catch(die);
