/**
 * Dialing a BTP node with raw `ws` and authenticating (RFC 23 §Authentication). A node that is not
 * listening yet (ilp-connector opens its listeners while it starts) is retried with a short
 * backoff until a deadline: readiness by retrying, not by sleeping.
 */
import { randomInt } from 'node:crypto';
import { type RawData, WebSocket } from 'ws';
import { authFrame } from './frames.js';

export interface DialOptions {
  url: string;
  username: string;
  token: string;
  deadlineMs?: number;
  /**
   * Called with the socket on the auth Response, in the same turn: the node may send in the same
   * TCP chunk (a settling node sends its unacknowledged claim at once), and ws emits those
   * messages before an `await dialBtp()` resumes; a listener added there would miss them.
   */
  onAuthenticated?: (ws: WebSocket) => void;
}

const RETRY_MIN_MS = 20;
const RETRY_MAX_MS = 250;
const MAX_FRAME_BYTES = 1 << 20;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
    const onError = (err: Error) => reject(err);
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      resolve(ws);
    });
  });
}

function authenticate(
  ws: WebSocket,
  username: string,
  token: string,
  onAuthenticated?: (ws: WebSocket) => void,
): Promise<void> {
  const requestId = randomInt(0, 2 ** 32 - 1);
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error(`socket closed during auth as ${username}`));
    ws.once('close', onClose);
    ws.once('message', (data: RawData) => {
      ws.off('close', onClose);
      const b = data as Buffer;
      if (b[0] === 1 && b.readUInt32BE(1) === requestId) {
        onAuthenticated?.(ws);
        resolve();
      } else reject(new Error(`auth as ${username} refused (BTP type ${b[0]})`));
    });
    ws.send(authFrame(requestId, username, token));
  });
}

/** An authenticated socket. Its 'error' events are swallowed (a 'close' follows). */
export async function dialBtp(opts: DialOptions): Promise<WebSocket> {
  const deadline = Date.now() + (opts.deadlineMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    let ws: WebSocket;
    try {
      ws = await open(opts.url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      const waitMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      continue;
    }
    ws.on('error', () => {});
    await authenticate(ws, opts.username, opts.token, opts.onAuthenticated);
    return ws;
  }
}

/**
 * Coalesces the frames sent while handling one batch of incoming frames into one socket write:
 * the socket is corked on the first send and uncorked after the current tick. ws parses a whole
 * TCP chunk and emits its messages synchronously, so a burst of replies costs one syscall.
 * Reaches into ws's `_socket` on purpose: a load generator must not be the bottleneck.
 */
export function batchWrites(ws: WebSocket): () => void {
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };
}
