/**
 * The packet pipeline (DESIGN §3): one ordered list of small stages, composed once.
 * Each stage either answers (a Fulfill or Reject value) or passes the packet on.
 */
import type { Next, PacketContext, PipelineServices, Reply, Stage } from './context.js';
import { checkExpiry } from './stages/check-expiry.js';
import { checkMaxPacketAmount } from './stages/check-max-packet-amount.js';
import { checkRateLimit } from './stages/check-rate-limit.js';
import { deliverOrForward } from './stages/deliver-or-forward.js';
import { notifyTransit } from './stages/notify-transit.js';
import { reserveBalance } from './stages/reserve-balance.js';
import { resolveRoute } from './stages/resolve-route.js';
import { servePeerProtocol } from './stages/serve-peer-protocol.js';

export const STAGES: ReadonlyArray<(s: PipelineServices) => Stage> = [
  checkExpiry, // R02 expired
  servePeerProtocol, // peer.config (IL-DCP), other peer.* F02
  checkMaxPacketAmount, // F08
  checkRateLimit, // T05
  resolveRoute, // F02 no route, T01 link down, R02 insufficient timeout
  reserveBalance, // T04; post on Fulfill, void otherwise
  notifyTransit, // fire-and-forget copy at intermediate hops
  deliverOrForward, // local handler, or next hop with R00 timer and F05 check
];

export function composePipeline(services: PipelineServices, stages = STAGES): Next {
  const built = stages.map((make) => make(services));
  const terminal: Next = () => {
    throw new Error('pipeline bug: the last stage called next');
  };
  return built.reduceRight<Next>(
    (next, stage) =>
      (ctx: PacketContext): Promise<Reply> | Reply =>
        stage(ctx, next),
    terminal,
  );
}
