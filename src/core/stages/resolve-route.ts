import type { PipelineServices, Stage } from '../context.js';
import { reject } from '../reject.js';

/**
 * Longest-prefix route (F02 when none), link state of the next hop (T01), and the outgoing
 * expiry: min(source expiry - minMessageWindow, now + maxHoldTime), R02 when less than
 * minMessageWindow would remain (DESIGN §3.2, as ilp-connector and Rafiki do).
 */
export function resolveRoute(s: PipelineServices): Stage {
  return (ctx, next) => {
    const destination = ctx.prepare.destination;
    const route = s.routes.lookup(destination);
    if (route === undefined) return reject('F02', `no route to ${destination}`, s.address());
    if (route.nextHop === s.nodeId) {
      ctx.local = true;
      return next(ctx);
    }
    const hop = s.peers.get(route.nextHop);
    if (hop === undefined)
      return reject('F02', `no route to ${destination}: next hop ${route.nextHop} is gone`, s.address());
    if (hop === ctx.source)
      return reject('F02', `route to ${destination} loops back to the sender`, s.address());
    if (!s.links.isConnected(hop.id))
      return reject('T01', `next hop ${hop.id} is not connected`, s.address());

    const now = ctx.receivedAtMs;
    const sourceExpiry = ctx.prepare.expiresAt.getTime();
    // Our own packets keep the expiry their sender chose; forwarded ones leave a window upstream.
    const window = ctx.source === undefined ? 0 : s.minMessageWindowMs;
    const expiry = Math.min(sourceExpiry - window, now + s.maxHoldTimeMs);
    if (expiry - now < s.minMessageWindowMs && ctx.source !== undefined) {
      return reject('R02', `insufficient timeout: ${sourceExpiry - now} ms left`, s.address());
    }
    if (expiry <= now) return reject('R02', 'packet expired', s.address());
    ctx.nextHop = hop;
    ctx.outgoingExpiryMs = expiry;
    return next(ctx);
  };
}
