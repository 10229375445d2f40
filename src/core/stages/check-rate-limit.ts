import type { PipelineServices, Stage } from '../context.js';
import { reject } from '../reject.js';

/** T05 when the source peer's token bucket is empty (only for peers with a configured rateLimit). */
export function checkRateLimit(s: PipelineServices): Stage {
  return (ctx, next) => {
    const bucket = ctx.source?.rateLimiter;
    if (bucket !== undefined && !bucket.take(ctx.receivedAtMs)) {
      return reject('T05', 'too many packets: rate limit exceeded', s.address());
    }
    return next(ctx);
  };
}
