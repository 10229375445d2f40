import { decodeIlpReply, patchPrepare } from '../../codec/index.js';
import { ConnectorError } from '../../utils/errors.js';
import type { PacketContext, PipelineServices, Reply, Stage } from '../context.js';
import { fulfills } from '../fulfillment.js';
import { reject } from '../reject.js';

/** Last stage: local delivery, or forward to the next hop with the R00 timer and the F05 check. */
export function deliverOrForward(s: PipelineServices): Stage {
  return (ctx) => (ctx.local ? s.local.deliver(ctx) : forward(s, ctx));
}

/**
 * A promise chain, not an async function: one continuation per packet instead of an async frame
 * and its await. A link that throws instead of rejecting is a link failure all the same.
 */
function forward(s: PipelineServices, ctx: PacketContext): Promise<Reply> {
  const hop = ctx.nextHop!;
  const bytes = patchPrepare(ctx.raw, ctx.outgoingAmount, ctx.outgoingExpiryMs);
  let sent: Promise<Uint8Array>;
  try {
    sent = s.links.sendIlp(hop.id, bytes, Math.max(1, ctx.outgoingExpiryMs - s.now()));
  } catch (err) {
    return Promise.resolve(linkFailure(s, hop.id, err));
  }
  return sent.then(
    (replyBytes) => checkReply(s, ctx, hop.id, replyBytes),
    (err: unknown) => {
      const code = err instanceof ConnectorError ? err.code : undefined;
      // The Prepare may have arrived: its outcome is for reconciliation to find out.
      if (code === 'ERR_BTP_TIMEOUT' || code === 'ERR_BTP_CLOSED') ctx.unanswered = true;
      return linkFailure(s, hop.id, err);
    },
  );
}

/** The next hop's answer: a reply that decodes, and a Fulfill only with the right preimage (F05). */
function checkReply(s: PipelineServices, ctx: PacketContext, hopId: string, replyBytes: Uint8Array): Reply {
  let reply: Reply;
  try {
    reply = decodeIlpReply(replyBytes);
  } catch {
    return reject('T00', `invalid reply from next hop ${hopId}`, s.address());
  }
  if (reply.type === 13 && !fulfills(reply.fulfillment, ctx.prepare.executionCondition)) {
    return reject('F05', 'fulfillment does not match the execution condition', s.address());
  }
  reply.raw = replyBytes;
  return reply;
}

function linkFailure(s: PipelineServices, peerId: string, err: unknown): Reply {
  const code = err instanceof ConnectorError ? err.code : undefined;
  switch (code) {
    case 'ERR_BTP_TIMEOUT':
      return reject('R00', `transfer timed out waiting for ${peerId}`, s.address());
    case 'ERR_BTP_CLOSED':
    case 'ERR_PEER_UNKNOWN': // removed between the route stage and the send
      return reject('T01', `link to ${peerId} closed`, s.address());
    case 'ERR_BTP_LIMIT':
      return reject('T03', `too many packets in flight to ${peerId}`, s.address());
    case 'ERR_BTP_PROTOCOL':
      return reject('T00', `next hop ${peerId} answered without an ILP packet`, s.address());
    case 'ERR_BTP_REMOTE':
      return reject('F02', `next hop ${peerId} refused the packet: ${(err as Error).message}`, s.address());
    default:
      s.logger.error({ err, peerId }, 'forwarding failed');
      return reject('T00', `internal error forwarding to ${peerId}`, s.address());
  }
}
