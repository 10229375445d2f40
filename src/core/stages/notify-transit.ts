import type { PipelineServices, Stage } from '../context.js';

/** perHopNotification: a fire-and-forget copy to the local handler at an intermediate hop. */
export function notifyTransit(s: PipelineServices): Stage {
  return (ctx, next) => {
    if (s.perHopNotification && !ctx.local) s.local.notifyTransit(ctx);
    return next(ctx);
  };
}
