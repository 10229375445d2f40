/**
 * The admin REST API (the spec's endpoints, DESIGN §8) on its own port. Every request passes the
 * access hook first (allowlist, then X-Api-Key); every body and parameter has a JSON schema;
 * every error is `{error, message}` with the status that fits. Amounts travel as decimal strings.
 * Requests are read as curl, fetch and axios send them by default (admin-body.ts; trailing slashes).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { PeerAccountBalance, PeerRegistrationRequest } from '../types/index.js';
import { ConnectorError, type ErrorCode } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { type AccessOptions, createAccessHook } from './access.js';
import { acceptJsonBodies } from './admin-body.js';
import { channelRoutes } from './admin-channel-routes.js';
import type { AdminNode } from './admin-node.js';
import {
  addPeerBody,
  addRouteBody,
  ilpSendBody,
  openChannelBody,
  peerParams,
  removePeerQuery,
  routeParams,
} from './admin-schemas.js';
import { IlpSendHandler } from './ilp-send-handler.js';
import { listenOn } from './listen.js';

export interface AdminServerOptions {
  node: AdminNode;
  access: AccessOptions;
  logger: Logger;
  /** Largest request body accepted (an ILP send with 32767 bytes of data fits in 64 KiB). */
  bodyLimitBytes?: number;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_PEER_UNKNOWN: 404,
  ERR_PEER_EXISTS: 409,
  ERR_ROUTE_INVALID: 400,
  ERR_INVALID_ARGUMENT: 400,
  ERR_CONFIG_INVALID: 400,
  ERR_NOT_STARTED: 503,
  ERR_SETTLEMENT_UNAVAILABLE: 503,
  ERR_CHANNEL: 409,
  ERR_CHANNEL_UNKNOWN: 404,
  ERR_INSUFFICIENT_FUNDS: 409,
  ERR_CHAIN_REVERT: 409,
  ERR_CHAIN_NOT_FOUND: 404,
  ERR_CHAIN_RPC: 502,
  ERR_CHAIN_WRONG_CHAIN: 502,
  ERR_CHAIN_TIMEOUT: 504,
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class AdminServer {
  private readonly app: FastifyInstance;
  private boundPort = 0;

  constructor(private readonly options: AdminServerOptions) {
    this.app = Fastify({
      logger: false,
      bodyLimit: options.bodyLimitBytes ?? 65_536,
      // Strict: unknown fields and wrong types are errors, never silently dropped or coerced.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
      // `/admin/peers/` is `/admin/peers`, as clients and proxies that append a slash expect.
      routerOptions: { ignoreTrailingSlash: true },
    });
    acceptJsonBodies(this.app);
    this.app.addHook('onRequest', createAccessHook(options.access));
    this.app.setErrorHandler((err: FastifyError, _req, reply) => this.onError(err, reply));
    this.app.setNotFoundHandler((req, reply) =>
      send(reply, 404, `no endpoint ${req.method} ${req.url.split('?')[0]}`),
    );
    this.routes();
  }

  private routes(): void {
    const { node, logger } = this.options;
    const app = this.app;
    const ilpSend = new IlpSendHandler(
      (p) => node.sendPacket(p),
      () => node.isReady(),
      logger,
    );

    app.get('/admin/peers', async () => ({ peers: node.listPeers() }));
    app.post('/admin/peers', { schema: { body: addPeerBody } }, async (req, reply) => {
      const request = toRegistration(req.body as PeerBody);
      const info = await node.registerPeer(request);
      logger.info({ peerId: info.id, url: info.url }, 'peer added through the admin API');
      return reply.code(201).send(info);
    });
    app.delete(
      '/admin/peers/:peerId',
      { schema: { params: peerParams, querystring: removePeerQuery } },
      async (req) => {
        const { peerId } = req.params as { peerId: string };
        const { removeRoutes } = req.query as { removeRoutes?: string };
        const result = await node.removePeer(peerId, removeRoutes !== 'false');
        if (!result.removed) throw new ConnectorError('ERR_PEER_UNKNOWN', `no peer ${peerId}`);
        logger.info({ peerId }, 'peer removed through the admin API');
        return result;
      },
    );

    app.get('/admin/routes', async () => ({ routes: node.listRoutes() }));
    app.post('/admin/routes', { schema: { body: addRouteBody } }, async (req, reply) => {
      const {
        prefix,
        nextHop,
        priority = 0,
      } = req.body as { prefix: string; nextHop: string; priority?: number };
      try {
        node.addRoute(prefix, nextHop, priority);
      } catch (err) {
        // The unknown peer is in the body, not the URL: the request is bad, the resource exists.
        if (err instanceof ConnectorError && err.code === 'ERR_PEER_UNKNOWN')
          throw new ConnectorError('ERR_INVALID_ARGUMENT', err.message);
        throw err;
      }
      return reply.code(201).send({ prefix, nextHop, priority });
    });
    app.delete('/admin/routes/:prefix', { schema: { params: routeParams } }, async (req, reply) => {
      const { prefix } = req.params as { prefix: string };
      if (!node.listRoutes().some((r) => r.prefix === prefix)) return send(reply, 404, `no route ${prefix}`);
      node.removeRoute(prefix);
      return { prefix, removed: true };
    });

    app.post('/admin/ilp/send', { schema: { body: ilpSendBody } }, async (req, reply) => {
      const result = await ilpSend.handle(req.body);
      return reply.code(result.statusCode).send(result.body);
    });

    app.get('/admin/balances/:peerId', { schema: { params: peerParams } }, async (req) => {
      const { peerId } = req.params as { peerId: string };
      return balanceJson(await node.getBalance(peerId));
    });

    app.get('/admin/channels', async () => ({ channels: await node.listChannels() }));
    app.post('/admin/channels', { schema: { body: openChannelBody } }, async (req, reply) => {
      const body = req.body as { peerId: string; amount: string };
      const channel = await node.openChannel({ peerId: body.peerId, amount: BigInt(body.amount) });
      return reply.code(201).send(channel);
    });
    channelRoutes(app, node, logger);
  }

  private onError(err: FastifyError, reply: FastifyReply): FastifyReply {
    if (err instanceof ConnectorError) {
      const status = STATUS_BY_CODE[err.code];
      if (status !== undefined) return send(reply, status, err.message);
    }
    if (err.validation !== undefined) return send(reply, 400, err.message);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return send(reply, status, err.message);
    this.options.logger.error({ err }, 'admin API request failed');
    return send(reply, 500, 'internal error');
  }

  async listen(port: number, host: string): Promise<number> {
    this.boundPort = await listenOn(this.app, port, host);
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

function send(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: STATUS_TEXT[status] ?? 'Error', message });
}

interface PeerBody {
  id: string;
  url?: string;
  authToken?: string;
  evmAddress?: string;
  settlementChain?: string;
  relation?: 'peer' | 'child' | 'parent';
  routes?: { prefix: string; priority?: number }[];
  maxPacketAmount?: string;
  rateLimit?: { packetsPerSecond: number; burst: number };
  balance?: { maximum?: string; settleThreshold?: string; settleTo?: string };
}

function toRegistration(body: PeerBody): PeerRegistrationRequest {
  const { maxPacketAmount, balance, ...rest } = body;
  const request: PeerRegistrationRequest = { ...rest };
  if (maxPacketAmount !== undefined) request.maxPacketAmount = BigInt(maxPacketAmount);
  if (balance !== undefined) {
    request.balance = {};
    if (balance.maximum !== undefined) request.balance.maximum = BigInt(balance.maximum);
    if (balance.settleThreshold !== undefined)
      request.balance.settleThreshold = BigInt(balance.settleThreshold);
    if (balance.settleTo !== undefined) request.balance.settleTo = BigInt(balance.settleTo);
  }
  return request;
}

function balanceJson(b: PeerAccountBalance): Record<string, string> {
  return {
    peerId: b.peerId,
    tokenId: b.tokenId,
    debitBalance: b.debitBalance.toString(),
    creditBalance: b.creditBalance.toString(),
    netBalance: b.netBalance.toString(),
    pendingDebit: b.pendingDebit.toString(),
    pendingCredit: b.pendingCredit.toString(),
  };
}
