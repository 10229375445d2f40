/**
 * The admin API's operations on one channel (by id) and on the node's wallet: view, top up,
 * close, settle now, balances, withdraw. Bodies are checked by their JSON schemas; the node
 * answers ERR_CHANNEL_UNKNOWN (404) for a channel it does not know and ERR_CHANNEL (409) for one
 * in the wrong state. A body may be left out where every field is optional.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../utils/logger.js';
import type { AdminNode } from './admin-node.js';
import { channelParams, closeChannelBody, depositBody, emptyBody, withdrawBody } from './admin-schemas.js';

/** An action with only optional fields may come without a body (curl -X POST). */
async function emptyToObject(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}

export function channelRoutes(app: FastifyInstance, node: AdminNode, logger: Logger): void {
  app.get('/admin/channels/:channelId', { schema: { params: channelParams } }, async (req) => {
    const { channelId } = req.params as { channelId: string };
    return node.channel(channelId);
  });

  app.post(
    '/admin/channels/:channelId/deposit',
    { schema: { params: channelParams, body: depositBody } },
    async (req) => {
      const { channelId } = req.params as { channelId: string };
      const { amount } = req.body as { amount: string };
      const channel = await node.depositChannel(channelId, BigInt(amount));
      logger.info({ channelId, amount, deposit: channel.deposit }, 'channel topped up through the admin API');
      return channel;
    },
  );

  app.post(
    '/admin/channels/:channelId/close',
    { preValidation: emptyToObject, schema: { params: channelParams, body: closeChannelBody } },
    async (req) => {
      const { channelId } = req.params as { channelId: string };
      const { cooperative = true } = req.body as { cooperative?: boolean };
      const channel = await node.closeChannelById(channelId, cooperative);
      logger.info({ channelId, cooperative, status: channel.status }, 'channel closed through the admin API');
      return channel;
    },
  );

  app.post(
    '/admin/channels/:channelId/settle',
    { preValidation: emptyToObject, schema: { params: channelParams, body: emptyBody } },
    async (req) => {
      const { channelId } = req.params as { channelId: string };
      const result = await node.settleChannel(channelId);
      logger.info(
        { channelId, claimSent: result.claimSent, status: result.channel.status },
        'channel settled through the admin API',
      );
      return result;
    },
  );

  app.get('/admin/wallet', async () => ({ balances: await node.wallet() }));

  app.post('/admin/wallet/withdraw', { schema: { body: withdrawBody } }, async (req) => {
    const body = req.body as { to: string; amount: string; chain?: string };
    const result = await node.withdraw({
      to: body.to,
      amount: BigInt(body.amount),
      ...(body.chain === undefined ? {} : { chain: body.chain }),
    });
    logger.info({ ...result }, 'tokens withdrawn through the admin API');
    return result;
  });
}
