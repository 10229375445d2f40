import type { PipelineServices, Stage } from '../context.js';
import { reject } from '../reject.js';

/** RFC 27: an expired Prepare is rejected at once (R02) wherever it is going. */
export function checkExpiry(s: PipelineServices): Stage {
  return (ctx, next) => {
    if (ctx.prepare.expiresAt.getTime() <= ctx.receivedAtMs) {
      return reject('R02', 'packet expired before it could be processed', s.address());
    }
    return next(ctx);
  };
}
