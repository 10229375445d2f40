/**
 * Health endpoints (DESIGN §8), computed live on each request from the node's state:
 *   GET /health        full status; 200 when healthy or degraded, 503 otherwise
 *   GET /health/live   200 while the process serves HTTP
 *   GET /health/ready  200 when started and every dialed peer (and the parent) is connected
 *   GET /metrics       Prometheus text, when the node supplies metrics
 * The node supplies its state through `status()`: this layer knows nothing of the core.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { listenOn } from './listen.js';

export interface PeerHealth {
  id: string;
  connected: boolean;
  /** True when this node dials the peer (it has a url), so being down is our problem. */
  dialed: boolean;
  relation: string;
}

export interface NodeHealth {
  nodeId: string;
  ilpAddress: string;
  state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped';
  startedAtMs: number | undefined;
  peers: PeerHealth[];
  version: string;
  /**
   * The Explorer's store while an Explorer runs. Shown, never counted: a failed store neither
   * degrades the node's status nor makes it unready, because packets flow without it.
   */
  explorer?: { store: 'open' | 'failed' | 'closed'; error?: string };
}

export type MetricsScrape = () => Promise<{ contentType: string; body: string }>;

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'starting';

export function summarize(h: NodeHealth): { status: HealthStatus; ready: boolean } {
  if (h.state !== 'started')
    return { status: h.state === 'new' || h.state === 'starting' ? 'starting' : 'unhealthy', ready: false };
  const required = h.peers.filter((p) => p.dialed || p.relation === 'parent');
  const down = required.filter((p) => !p.connected).length;
  const ready = down === 0;
  if (down === 0) return { status: 'healthy', ready };
  return { status: down === required.length ? 'unhealthy' : 'degraded', ready };
}

export class HealthServer {
  private readonly app: FastifyInstance;
  private boundPort = 0;

  constructor(
    private readonly status: () => NodeHealth,
    metrics?: MetricsScrape,
  ) {
    this.app = Fastify({ logger: false });
    if (metrics !== undefined) {
      this.app.get('/metrics', async (_req, reply) => {
        const { contentType, body } = await metrics();
        return reply.type(contentType).send(body);
      });
    }
    this.app.get('/health', async (_req, reply) => {
      const h = this.status();
      const { status, ready } = summarize(h);
      const connected = h.peers.filter((p) => p.connected).length;
      const body = {
        status,
        ready,
        nodeId: h.nodeId,
        ilpAddress: h.ilpAddress,
        uptimeSeconds: h.startedAtMs === undefined ? 0 : Math.floor((Date.now() - h.startedAtMs) / 1000),
        peersConnected: connected,
        totalPeers: h.peers.length,
        peers: h.peers.map((p) => ({ id: p.id, connected: p.connected, relation: p.relation })),
        version: h.version,
        ...(h.explorer === undefined ? {} : { explorer: h.explorer }),
        timestamp: new Date().toISOString(),
      };
      return reply.code(status === 'healthy' || status === 'degraded' ? 200 : 503).send(body);
    });
    this.app.get('/health/live', async () => ({ status: 'alive' }));
    this.app.get('/health/ready', async (_req, reply) => {
      const { status, ready } = summarize(this.status());
      return reply.code(ready ? 200 : 503).send({ ready, status });
    });
  }

  async listen(port: number, host?: string): Promise<number> {
    this.boundPort = await listenOn(this.app, port, host ?? '0.0.0.0');
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
