/**
 * A stand-in for the Explorer server (docs/explorer.md) so the page can be tested in a browser
 * before and apart from the node: serves explorer-ui/ and the vendor modules like the real one,
 * answers the API from canned data (fixture-data.ts) and pushes events over a `ws` server.
 * `push` stores an event and sends it to every WS client; `dropSockets` and `refuseSockets`
 * let a test cut the feed.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { NODE_EVENT_TYPES, type NodeEvent } from '../../src/types/index.js';
import { channels, history, nodeInfo, peers } from './fixture-data.js';
import { statsOf } from './fixture-stats.js';

const ROOT = process.cwd();
const PAGE_DIR = join(ROOT, 'explorer-ui');
const VENDOR: Record<string, string> = {
  'preact.mjs': 'node_modules/preact/dist/preact.mjs',
  'hooks.mjs': 'node_modules/preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'node_modules/htm/dist/htm.mjs',
  'uplot.mjs': 'node_modules/uplot/dist/uPlot.esm.js',
  'uplot.css': 'node_modules/uplot/dist/uPlot.min.css',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const MAX_EVENTS_LIMIT = 1000;

export interface FixtureOptions {
  /** When set, /api/* wants it as X-Api-Key and /ws as ?key=, like a non-loopback Explorer. */
  apiKey?: string;
  nowMs?: number;
}

export interface FixtureServer {
  url: string;
  /** Mutable canned answers: a test may change a peer's balance and wait for the page. */
  state: { peers: ReturnType<typeof peers>; channels: ReturnType<typeof channels> };
  events: NodeEvent[];
  /** Stores the event (id and ts assigned unless given) and sends it to every WS client. */
  push(event: Omit<NodeEvent, 'id' | 'ts'> & { ts?: number }): NodeEvent;
  /** Stores many events and sends them back to back, one frame each (as the node does). */
  pushMany(events: (Omit<NodeEvent, 'id' | 'ts'> & { ts?: number })[]): void;
  wsClients(): number;
  /** Closes every WS connection from the server side (an abnormal close, 1006 in the page). */
  dropSockets(): void;
  /** While true, WS upgrades are answered 503 so the page stays reconnecting. */
  refuseSockets(refuse: boolean): void;
  /** The API requests seen (path with query), whether each carried the right key, the status. */
  requests: { path: string; keyOk: boolean; status: number }[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const payload = typeof body === 'string' || body instanceof Buffer ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(payload);
}

const EVENT_PARAMS = [
  'types',
  'since',
  'until',
  'peerId',
  'packetId',
  'direction',
  'code',
  'limit',
  'cursor',
  'offset',
];
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The contract's 400s, so a page that sends a malformed query fails its tests. */
function badParameter(path: string, q: URLSearchParams): string | undefined {
  const allowed = path === '/api/events' ? EVENT_PARAMS : path === '/api/stats' ? ['window'] : [];
  for (const name of new Set(q.keys())) {
    if (!allowed.includes(name)) return `${name}: unknown parameter`;
    if (q.getAll(name).length > 1) return `${name}: given more than once`;
  }
  const types = q.get('types');
  if (types !== null && !types.split(',').every((t) => (NODE_EVENT_TYPES as readonly string[]).includes(t)))
    return `types: unknown type in ${types}`;
  const packetId = q.get('packetId');
  if (packetId !== null && !/^[0-9a-fA-F]{64}$/.test(packetId)) return 'packetId: must be 64 hex digits';
  for (const name of ['peerId', 'code']) {
    const value = q.get(name);
    if (value !== null && !TOKEN.test(value)) return `${name}: malformed`;
  }
  const limit = q.get('limit');
  if (limit !== null && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_EVENTS_LIMIT))
    return 'limit: must be an integer from 1 to 1000';
  const window = q.get('window');
  if (window !== null && !(/^\d+$/.test(window) && Number(window) >= 1 && Number(window) <= 300))
    return 'window: must be an integer from 1 to 300';
  return undefined;
}

function selectEvents(all: NodeEvent[], q: URLSearchParams) {
  const types = q.get('types')?.split(',').filter(Boolean);
  const limit = Number(q.get('limit') ?? 100);
  const cursor = q.get('cursor');
  const match = (e: NodeEvent): boolean =>
    (!types || types.includes(e.type)) &&
    (!q.get('peerId') || e.peerId === q.get('peerId')) &&
    (!q.get('packetId') || e.packetId === q.get('packetId')) &&
    (!q.get('direction') || e.direction === q.get('direction')) &&
    (!q.get('code') || e.code === q.get('code')) &&
    (!q.get('since') || e.ts >= Number(q.get('since'))) &&
    (!q.get('until') || e.ts <= Number(q.get('until')));
  const matching = all.filter(match).sort((a, b) => b.id - a.id);
  const after = cursor ? matching.filter((e) => e.id < Number(cursor)) : matching;
  const events = after.slice(0, limit);
  const last = events.at(-1);
  const nextCursor = after.length > limit && last ? String(last.id) : null;
  return { events, total: matching.length, totalExact: true, nextCursor };
}

export async function startFixtureServer(options: FixtureOptions = {}): Promise<FixtureServer> {
  const nowMs = options.nowMs ?? Date.now();
  const state = { peers: peers(), channels: channels(nowMs) };
  const events: NodeEvent[] = [];
  const requests: FixtureServer['requests'] = [];
  let refusing = false;
  const store = (e: Omit<NodeEvent, 'id' | 'ts'> & { ts?: number }): NodeEvent => {
    const event = { ...e, id: events.length + 1, ts: e.ts ?? Date.now() } as NodeEvent;
    events.push(event);
    return event;
  };
  for (const e of history(nowMs)) store(e);

  const api = (path: string, q: URLSearchParams): unknown => {
    switch (path) {
      case '/api/node':
        return nodeInfo(nowMs);
      case '/api/health':
        return {
          status: 'ok',
          store: {
            state: 'open',
            events: events.length,
            sizeBytes: 180_224 + events.length * 310,
            path: '/var/lib/connector/events.db',
          },
          dropped: 0,
          sampled: 0,
        };
      case '/api/peers':
        return { peers: state.peers };
      case '/api/channels':
        return { channels: state.channels };
      case '/api/stats':
        return statsOf(events, Number(q.get('window') ?? 60), Date.now());
      case '/api/events':
        return selectEvents(events, q);
      default:
        return undefined;
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const path = url.pathname;
      if (path.startsWith('/api/')) {
        const keyOk = options.apiKey === undefined || req.headers['x-api-key'] === options.apiKey;
        const seen = { path: `${path}${url.search}`, keyOk, status: 200 };
        requests.push(seen);
        const bad = badParameter(path, url.searchParams);
        const body = keyOk && bad === undefined ? api(path, url.searchParams) : undefined;
        const [status, answer] = !keyOk
          ? [401, { error: 'Unauthorized', message: 'X-Api-Key missing or wrong' }]
          : bad !== undefined
            ? [400, { error: 'BadRequest', message: bad }]
            : body === undefined
              ? [404, { error: 'NotFound', message: path }]
              : [200, body];
        seen.status = status;
        return send(res, status, answer);
      }
      const file =
        path === '/'
          ? join(PAGE_DIR, 'index.html')
          : path.startsWith('/assets/') && /^[\w.-]+$/.test(path.slice(8))
            ? join(PAGE_DIR, path.slice(8))
            : path.startsWith('/vendor/') && VENDOR[path.slice(8)]
              ? join(ROOT, VENDOR[path.slice(8)]!)
              : undefined;
      if (file === undefined) return send(res, 404, { error: 'NotFound', message: path });
      const extension = file.slice(file.lastIndexOf('.'));
      const body = await readFile(file).catch(() => undefined);
      if (body === undefined) return send(res, 404, { error: 'NotFound', message: path });
      return send(res, 200, body, TYPES[extension] ?? 'application/octet-stream');
    })();
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const keyOk = options.apiKey === undefined || url.searchParams.get('key') === options.apiKey;
    if (url.pathname !== '/ws' || !keyOk || refusing) {
      socket.end(
        `HTTP/1.1 ${refusing ? '503 Service Unavailable' : '401 Unauthorized'}\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const broadcast = (event: NodeEvent): void => {
    const text = JSON.stringify(event);
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    state,
    events,
    requests,
    push: (e) => {
      const event = store(e);
      broadcast(event);
      return event;
    },
    pushMany: (list) => {
      for (const e of list) broadcast(store(e));
    },
    wsClients: () => [...wss.clients].filter((c) => c.readyState === WebSocket.OPEN).length,
    dropSockets: () => {
      for (const client of wss.clients) client.terminate();
    },
    refuseSockets: (refuse) => {
      refusing = refuse;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
