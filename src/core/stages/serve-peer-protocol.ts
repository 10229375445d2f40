import {
  CCP_CONTROL_DESTINATION,
  CCP_UPDATE_DESTINATION,
  encodeIldcpResponse,
  ILDCP_DESTINATION,
  ILDCP_FULFILLMENT,
  PEER_PROTOCOL_CONDITION,
  PEER_PROTOCOL_FULFILLMENT,
} from '../../codec/index.js';
import { CcpRefusal } from '../../routing/ccp/index.js';
import type { PacketContext, PipelineServices, Reply, Stage } from '../context.js';
import { reject } from '../reject.js';

const EMPTY = new Uint8Array(0);

/**
 * `peer.*` addresses are never forwarded (RFC 31, DESIGN §3.3). `peer.config` answers IL-DCP to
 * children with `<own>.<peerId>`; `peer.route.control` / `peer.route.update` go to the CCP
 * speaker when route learning is on (DESIGN §12); every other peer.* destination is unreachable.
 */
export function servePeerProtocol(s: PipelineServices): Stage {
  return (ctx, next) => {
    const destination = ctx.prepare.destination;
    if (!destination.startsWith('peer.')) return next(ctx);
    const source = ctx.source;
    if (destination === ILDCP_DESTINATION && source?.settings.relation === 'child') {
      const data = encodeIldcpResponse({
        clientAddress: `${s.address()}.${source.id}`,
        assetScale: source.settings.assetScale,
        assetCode: source.settings.assetCode,
      });
      return { type: 13, fulfillment: ILDCP_FULFILLMENT, data };
    }
    const isCcp = destination === CCP_CONTROL_DESTINATION || destination === CCP_UPDATE_DESTINATION;
    if (isCcp && s.ccp !== undefined && source !== undefined) return serveCcp(s, ctx, source.id);
    const why =
      destination === ILDCP_DESTINATION
        ? 'IL-DCP is served to children only'
        : isCcp
          ? 'route learning (CCP) is not enabled here'
          : 'unknown peer protocol';
    return reject('F02', `${why}: ${destination}`, s.address());
  };
}

function serveCcp(s: PipelineServices, ctx: PacketContext, peerId: string): Reply {
  const { prepare } = ctx;
  if (!sameBytes(prepare.executionCondition, PEER_PROTOCOL_CONDITION))
    return reject('F01', 'condition must be the peer protocol condition', s.address());
  try {
    if (prepare.destination === CCP_CONTROL_DESTINATION) s.ccp!.handleControl(peerId, prepare.data);
    else s.ccp!.handleUpdate(peerId, prepare.data, ctx.receivedAtMs);
  } catch (err) {
    if (err instanceof CcpRefusal) return reject(err.code, err.message, s.address());
    throw err;
  }
  return { type: 13, fulfillment: PEER_PROTOCOL_FULFILLMENT, data: EMPTY };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
