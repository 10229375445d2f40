/**
 * A child process that floods a BTP server with bad logins: `node auth-flood.js <port> <count>
 * <perSecond> <localAddress> [burstMs]`. Each attempt is a raw TCP connection from
 * `localAddress` that sends a WebSocket upgrade request and, if the server upgrades (101), a
 * masked BTP auth frame with a wrong token (RFC 6455 §5.2 framing, written by hand so that the
 * attacker itself costs little CPU). An attempt ends on the socket's close.
 * With `burstMs`, attempts are sent for burstMs, then none for burstMs, and so on (so a test can
 * compare adjacent windows); `marks` gives the wall-clock time (Date.now) each burst started.
 * Prints `{refused, upgraded, other, elapsedMs, marks}` as JSON when every attempt has ended.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { authProtocolData } from '../../src/btp/auth.js';
import { BTP_TYPE, encodeBtpPacket } from '../../src/codec/btp.js';

const [port = '0', countArg = '0', rateArg = '1000', localAddress = '127.0.0.1', burstArg = '0'] =
  process.argv.slice(2);
const count = Number(countArg);
const perSecond = Number(rateArg);
const burstMs = Number(burstArg);

const request = Buffer.from(
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
);

function maskedBinaryFrame(payload: Uint8Array): Buffer {
  if (payload.length > 125) throw new Error('a small frame only');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x82; // FIN, binary
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return frame;
}

const badAuth = maskedBinaryFrame(
  encodeBtpPacket({
    type: BTP_TYPE.message,
    requestId: 1,
    protocolData: authProtocolData('flooder', 'wrong-token'),
  }),
);
const result = { refused: 0, upgraded: 0, other: 0, elapsedMs: 0, marks: [] as number[] };
const started = performance.now();
let launched = 0;
let ended = 0;

function attempt(): void {
  const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
  let status = '';
  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk: Buffer) => {
    if (status !== '') return;
    status = chunk.subarray(9, 12).toString();
    if (status === '101') socket.write(badAuth);
    else socket.end();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (status === '429') result.refused++;
    else if (status === '101') result.upgraded++;
    else result.other++;
    ended++;
    if (ended === count) {
      result.elapsedMs = Math.round(performance.now() - started);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  });
}

// Paced in 10 ms ticks against the clock (only the "on" halves count with burstMs).
let lastBurst = -1;
const timer = setInterval(() => {
  const nowMs = performance.now() - started;
  let activeMs = nowMs;
  if (burstMs > 0) {
    const period = Math.floor(nowMs / (2 * burstMs));
    if (nowMs - period * 2 * burstMs >= burstMs) return;
    if (period !== lastBurst) {
      lastBurst = period;
      result.marks.push(Date.now());
    }
    activeMs = period * burstMs + (nowMs - period * 2 * burstMs);
  }
  const due = Math.min(count, Math.floor((activeMs * perSecond) / 1000));
  while (launched < due) {
    launched++;
    attempt();
  }
  if (launched >= count) clearInterval(timer);
}, 10);
