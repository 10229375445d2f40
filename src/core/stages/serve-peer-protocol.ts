import { encodeIldcpResponse, ILDCP_DESTINATION, ILDCP_FULFILLMENT } from '../../codec/index.js';
import type { PipelineServices, Stage } from '../context.js';
import { reject } from '../reject.js';

/**
 * `peer.*` addresses are never forwarded (RFC 31, DESIGN §3.3). `peer.config` answers IL-DCP to
 * children with `<own>.<peerId>`; every other peer.* destination is unreachable here.
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
    const why =
      destination === ILDCP_DESTINATION ? 'IL-DCP is served to children only' : 'unknown peer protocol';
    return reject('F02', `${why}: ${destination}`, s.address());
  };
}
