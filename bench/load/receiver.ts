/**
 * The load receiver, in its own process: dials the last node over BTP, authenticates, and answers
 * every BTP Message carrying an ILP Prepare with a pre-encoded BTP Response carrying the Fulfill
 * (only the requestId is patched). Anything else gets an empty Response, except, with
 * `claimRelay`, payment-channel claims: those go to a verifying node (load/claim-relay.ts).
 *
 *   node dist/bench/load/receiver.js '{"url":"ws://127.0.0.1:3000","username":"receiver","token":"r"}'
 */
import type { RawData, WebSocket } from 'ws';
import { BTP_TYPE } from '../../src/codec/index.js';
import { die, exitOnSignal, optionsFromArgv, tell } from '../harness/messages.js';
import { batchWrites, type DialOptions, dialBtp } from './dial.js';
import { emptyResponse, fulfillResponse, ILP_TYPE_PREPARE, ilpOffset, REQUEST_ID_OFFSET } from './frames.js';

export interface ReceiverOptions {
  url: string;
  username: string;
  token: string;
  batch?: boolean;
  /** The node that verifies the claims the node under test sends us (target `ours-settling`). */
  claimRelay?: DialOptions;
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<ReceiverOptions>();
  const startedAt = performance.now();
  // Loaded only when asked for: the plain receiver does not load the settlement code (viem).
  // The relay dials first, so that a claim the node sends right after our auth has somewhere to go.
  let answerUpstream: (frame: Buffer) => void = () => {};
  const relay =
    opts.claimRelay === undefined
      ? () => false
      : await (await import('./claim-relay.js')).startClaimRelay(opts.claimRelay, (f) => answerUpstream(f));
  const fulfill = fulfillResponse();
  const serve = (ws: WebSocket) => {
    const cork = opts.batch === false ? () => {} : batchWrites(ws);
    answerUpstream = (frame) => {
      cork();
      ws.send(frame);
    };
    ws.on('message', (raw: RawData) => {
      const data = raw as Buffer;
      if (data[0] !== BTP_TYPE.message) return;
      const requestId = data.readUInt32BE(REQUEST_ID_OFFSET);
      const at = ilpOffset(data);
      cork();
      if (at >= 0 && data[at] === ILP_TYPE_PREPARE) {
        fulfill.writeUInt32BE(requestId, REQUEST_ID_OFFSET);
        ws.send(fulfill);
      } else if (!relay(data)) {
        ws.send(emptyResponse(requestId));
      }
    });
  };
  await dialBtp({ url: opts.url, username: opts.username, token: opts.token, onAuthenticated: serve });
  tell({ type: 'authenticated', sockets: 1, elapsedMs: performance.now() - startedAt });
}

main().catch(die);
