/**
 * Passes payment-channel claims from the load receiver's socket to a ConnectorNode that verifies
 * them (target `ours-settling`), and its answer back. The load receiver stays the same raw
 * responder for packets as in every other target, so the node under test sees the same peer;
 * the claims it sends that peer are judged by a real node with settlement on: decoded, checked
 * against the chain and the channel, the signature recovered, the state saved with fsync and the
 * ledger credited; its answer (an empty Response, or a BTP Error naming the refusal) goes back
 * to the node under test with the requestId it sent.
 *
 * The relay dials the verifier as the node under test (the verifier's peer for it), so the
 * verifier checks the claim against that peer's `evmAddress`.
 */
import type { RawData, WebSocket } from 'ws';
import { BTP_TYPE, decodeBtpPacket } from '../../src/codec/index.js';
import { CLAIM_SUB_PROTOCOL } from '../../src/settlement/index.js';
import { type DialOptions, dialBtp } from './dial.js';
import { emptyResponse, REQUEST_ID_OFFSET } from './frames.js';

/** Claims in flight through the relay; the node under test sends one per peer at a time. */
const MAX_PENDING = 64;

function carriesClaim(frame: Buffer): boolean {
  try {
    const packet = decodeBtpPacket(frame);
    return (
      packet.type === BTP_TYPE.message &&
      packet.protocolData.some((e) => e.protocolName === CLAIM_SUB_PROTOCOL)
    );
  } catch {
    return false;
  }
}

/**
 * Dials the verifier; returns `relay(frame)`, true when the frame was a claim and is on its way
 * (its answer goes to `reply`). Beyond MAX_PENDING a claim is dropped unanswered: the node under
 * test times out and sends it again, as after a lost frame; it is never acknowledged unchecked.
 */
export async function startClaimRelay(
  verifier: DialOptions,
  reply: (frame: Buffer) => void,
): Promise<(frame: Buffer) => boolean> {
  /** Our requestId towards the verifier -> the requestId of the node under test. */
  const pending = new Map<number, number>();
  let nextId = 0;
  const listen = (ws: WebSocket) =>
    ws.on('message', (raw: RawData) => {
      const b = raw as Buffer;
      const requestId = b.readUInt32BE(REQUEST_ID_OFFSET);
      if (b[0] === BTP_TYPE.message) {
        ws.send(emptyResponse(requestId));
        return;
      }
      const upstream = pending.get(requestId);
      if (upstream === undefined) return;
      pending.delete(requestId);
      const answer = Buffer.from(b);
      answer.writeUInt32BE(upstream, REQUEST_ID_OFFSET);
      reply(answer);
    });
  const ws = await dialBtp({ ...verifier, onAuthenticated: listen });
  return (frame) => {
    if (!carriesClaim(frame)) return false;
    if (pending.size >= MAX_PENDING) return true;
    nextId = (nextId + 1) >>> 0;
    pending.set(nextId, frame.readUInt32BE(REQUEST_ID_OFFSET));
    const copy = Buffer.from(frame);
    copy.writeUInt32BE(nextId, REQUEST_ID_OFFSET);
    ws.send(copy);
    return true;
  };
}
