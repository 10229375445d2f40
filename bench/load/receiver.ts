/**
 * The load receiver, in its own process: dials the last node over BTP, authenticates, and answers
 * every BTP Message carrying an ILP Prepare with a pre-encoded BTP Response carrying the Fulfill
 * (only the requestId is patched). Anything else gets an empty Response.
 *
 *   node dist/bench/load/receiver.js '{"url":"ws://127.0.0.1:3000","username":"receiver","token":"r"}'
 */
import type { RawData } from 'ws';
import { BTP_TYPE } from '../../src/codec/index.js';
import { die, exitOnSignal, optionsFromArgv, tell } from '../harness/messages.js';
import { batchWrites, dialBtp } from './dial.js';
import { emptyResponse, fulfillResponse, ILP_TYPE_PREPARE, ilpOffset, REQUEST_ID_OFFSET } from './frames.js';

export interface ReceiverOptions {
  url: string;
  username: string;
  token: string;
  batch?: boolean;
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<ReceiverOptions>();
  const startedAt = performance.now();
  const ws = await dialBtp({ url: opts.url, username: opts.username, token: opts.token });
  const cork = opts.batch === false ? () => {} : batchWrites(ws);
  const fulfill = fulfillResponse();
  ws.on('message', (raw: RawData) => {
    const data = raw as Buffer;
    if (data[0] !== BTP_TYPE.message) return;
    const requestId = data.readUInt32BE(REQUEST_ID_OFFSET);
    const at = ilpOffset(data);
    cork();
    if (at >= 0 && data[at] === ILP_TYPE_PREPARE) {
      fulfill.writeUInt32BE(requestId, REQUEST_ID_OFFSET);
      ws.send(fulfill);
    } else {
      ws.send(emptyResponse(requestId));
    }
  });
  tell({ type: 'authenticated', sockets: 1, elapsedMs: performance.now() - startedAt });
}

main().catch(die);
