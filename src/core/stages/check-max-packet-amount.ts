import type { PipelineServices, Stage } from '../context.js';
import { amountTooLargeData, reject } from '../reject.js';

/** RFC 27 F08: the data carries the received and the maximum amount. */
export function checkMaxPacketAmount(s: PipelineServices): Stage {
  return (ctx, next) => {
    const max = ctx.source?.settings.maxPacketAmount;
    if (max !== undefined && ctx.prepare.amount > max) {
      return reject(
        'F08',
        `packet amount ${ctx.prepare.amount} exceeds the maximum ${max}`,
        s.address(),
        amountTooLargeData(ctx.prepare.amount, max),
      );
    }
    return next(ctx);
  };
}
