/**
 * The Explorer's HTTP surface (docs/explorer.md): the JSON API, the WebSocket stream, the page
 * and its files. Every request passes the auth hook first (auth.ts), 404s and the WebSocket
 * upgrade included; every query string is parsed strictly (params.ts); every error is
 * `{error, message}`. The node is reached only through `ExplorerNode`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ConnectorError } from '../../utils/errors.js';
import type { Logger } from '../../utils/logger.js';
import { createExplorerAuth } from './auth.js';
import type { ExplorerNode } from './explorer-node.js';
import type { LiveFeed } from './live-feed.js';
import { BadParameter, parseEventsQuery, parseNoQuery, parseStatsQuery } from './params.js';
import type { EventRecorder } from './recorder.js';
import { loadVendorFiles } from './static-files.js';
import type { ExplorerStore } from './store-client.js';
import { balancesJson, channelsJson, peersJson } from './views.js';

export interface ExplorerServerOptions {
  host: string;
  apiKey?: string;
  store: ExplorerStore;
  recorder: EventRecorder;
  node: ExplorerNode;
  feed: LiveFeed;
  logger: Logger;
  /** The page's folder (index.html and its files); default `explorer-ui/` at the package root. */
  uiDir: string;
  /** Events the store dropped plus those the recorder dropped: `dropped` in /api/health. */
  dropped: () => number;
}

/** Client messages are `{"types": [...]}`: a few hundred bytes. */
const MAX_WS_MESSAGE_BYTES = 4096;

const STATUS_TEXT: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  500: 'InternalError',
  503: 'Unavailable',
};

export function send(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: STATUS_TEXT[status] ?? 'Error', message });
}

/** Builds the app (routes registered, not listening). Throws when a non-loopback host has no key. */
export async function buildExplorerServer(options: ExplorerServerOptions): Promise<FastifyInstance> {
  // forceCloseConnections: stopping must not wait for a client that holds its connection open.
  const app = Fastify({ logger: false, bodyLimit: 1024, forceCloseConnections: true });
  // The plugin first: its own onRequest hook marks upgrade requests, so that when auth refuses
  // one, the plugin's onResponse hook destroys the socket (otherwise it would stay open).
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_MESSAGE_BYTES } });
  app.addHook('onRequest', createExplorerAuth(options.host, options.apiKey));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // The page may be opened with ?key=: keep it out of Referer headers.
    reply.header('referrer-policy', 'no-referrer');
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => onError(err, reply, options.logger));
  app.setNotFoundHandler((req, reply) =>
    send(reply, 404, `no endpoint ${req.method} ${req.url.split('?')[0]}`),
  );
  apiRoutes(app, options);
  app.get('/ws', { websocket: true }, (socket) => options.feed.add(socket));
  await pageRoutes(app, options);
  return app;
}

function apiRoutes(app: FastifyInstance, options: ExplorerServerOptions): void {
  const { store, recorder, node } = options;
  app.get('/api/events', async (req) => store.query(parseEventsQuery(req.query as Record<string, unknown>)));
  app.get('/api/health', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    const health = store.health();
    return {
      status: health.state === 'open' ? 'ok' : 'degraded',
      store: health,
      dropped: options.dropped(),
      sampled: recorder.sampledOut,
      live: { clients: options.feed.size, slowClosed: options.feed.slowClientsClosed },
    };
  });
  app.get('/api/node', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    return node.identity();
  });
  app.get('/api/peers', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    return peersJson(node.peers(), node.routes(), await node.balances());
  });
  app.get('/api/routes', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    return {
      routes: node
        .routes()
        .map((r) =>
          r.origin === undefined
            ? { prefix: r.prefix, nextHop: r.nextHop, priority: r.priority }
            : { prefix: r.prefix, nextHop: r.nextHop, priority: r.priority, origin: r.origin, path: r.path },
        ),
    };
  });
  app.get('/api/balances', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    return balancesJson(await node.balances());
  });
  app.get('/api/channels', async (req) => {
    parseNoQuery(req.query as Record<string, unknown>);
    return channelsJson(await node.channels());
  });
  app.get('/api/stats', async (req) => recorder.stats(parseStatsQuery(req.query as Record<string, unknown>)));
}

async function pageRoutes(app: FastifyInstance, options: ExplorerServerOptions): Promise<void> {
  const { files, missing } = loadVendorFiles();
  if (missing.length > 0)
    options.logger.warn({ missing }, 'explorer: vendor files not found; the page may not load');
  app.get('/', async (_req, reply) => {
    let html: Buffer;
    try {
      html = await readFile(join(options.uiDir, 'index.html'));
    } catch {
      return send(reply, 404, `no explorer page in ${options.uiDir}`);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
  app.get('/vendor/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const file = files.get(name);
    if (file === undefined) return send(reply, 404, `no vendor file ${name}`);
    return reply.type(file.contentType).header('cache-control', 'public, max-age=3600').send(file.body);
  });
  await app.register(fastifyStatic, {
    root: options.uiDir,
    prefix: '/assets/',
    index: false,
    list: false,
    serveDotFiles: false,
    cacheControl: false,
    decorateReply: false,
  });
}

function onError(err: FastifyError, reply: FastifyReply, logger: Logger): FastifyReply {
  if (err instanceof BadParameter) return send(reply, 400, err.message);
  if (err instanceof ConnectorError && err.code === 'ERR_STORE_UNAVAILABLE')
    return send(reply, 503, err.message);
  if (err instanceof ConnectorError && err.code === 'ERR_INVALID_ARGUMENT')
    return send(reply, 400, err.message);
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return send(reply, status, err.message);
  logger.error({ err }, 'explorer request failed');
  return send(reply, 500, 'internal error');
}
