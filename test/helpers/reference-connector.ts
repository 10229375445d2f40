/**
 * The reference `ilp-connector` 23 (npm, CommonJS) run in-process for interop tests, with settings
 * that keep it offline and exact (DESIGN §11): the `one-to-one` rate backend (the default `ecb`
 * downloads rates), spread 0, in-memory store, a short initial connect timeout and no admin API.
 * Its log lines (riverpig, normally on stdout) are captured in memory: `logs` for diagnostics, and
 * "connector ready" is how we know it finished starting.
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';

const require = createRequire(import.meta.url);

export interface ReferenceAccount {
  relation: 'peer' | 'child' | 'parent';
  plugin: string;
  assetCode: string;
  assetScale: number;
  options?: Record<string, unknown>;
  maxPacketAmount?: string;
  rateLimit?: { refillPeriod?: number; refillCount?: number; capacity?: number };
  balance?: { minimum?: string; maximum?: string };
  sendRoutes?: boolean;
  receiveRoutes?: boolean;
}

export interface ReferenceConfig {
  ilpAddress: string;
  accounts: Record<string, ReferenceAccount>;
  routes?: Array<{ targetPrefix: string; peerId: string }>;
  [field: string]: unknown;
}

interface ReferenceApp {
  listen(): Promise<void>;
  shutdown(): Promise<void>;
  getPlugin(accountId: string): { isConnected(): boolean; disconnect(): Promise<void> };
}

const { createApp } = require('ilp-connector') as {
  createApp(opts: ReferenceConfig, container?: unknown): ReferenceApp;
};
/** ilp-connector's dependency container (reduct), resolved from the connector's own dependencies. */
const fromConnector = createRequire(require.resolve('ilp-connector'));
const reduct = (fromConnector('reduct') as { default: () => (service: unknown) => unknown }).default;
const RouteBroadcaster = (fromConnector('./services/route-broadcaster') as { default: unknown }).default;

/** The reference's view of its routes, as its admin API shows it (getStatus). */
export interface ReferenceRoutingStatus {
  routingTableId: string;
  currentEpoch: number;
  localRoutingTable: Record<string, { nextHop: string; path: string }>;
}
const connectorLog = require('ilp-connector/dist/common/log.js') as {
  setOutputStream(stream: NodeJS.WritableStream): void;
};

/** Bounded in-memory log of the reference connector (it logs every account add and warning). */
const MAX_LOG_LINES = 2000;
const logLines: string[] = [];
let linesWritten = 0;
connectorLog.setOutputStream(
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        logLines.push(line);
        linesWritten++;
        if (logLines.length > MAX_LOG_LINES) logLines.shift();
      }
      done();
    },
  }),
);

/** Captured lines from the `from`-th line written on (as far as the bound kept them). */
function linesSince(from: number): string[] {
  const dropped = linesWritten - logLines.length;
  return logLines.slice(Math.max(0, from - dropped));
}

/** Account defaults: no rate limit worth the name (10,000 packets/minute by default). */
export const UNLIMITED_RATE = { refillPeriod: 1000, refillCount: 1_000_000, capacity: 1_000_000 } as const;

export interface RunningReference {
  readonly app: ReferenceApp;
  /**
   * Resolves once started. `listen()` resolves after every account connected (or after
   * `initialConnectTimeout`) and never rejects (it logs errors), so success is the "connector
   * ready" line; without it this rejects with the captured log.
   */
  readonly ready: Promise<void>;
  /** Log lines written since this instance was created. */
  logs(): string[];
  /** Its route broadcaster's status: the routes it chose, learned by CCP or configured. */
  routing(): ReferenceRoutingStatus;
  stop(): Promise<void>;
}

/**
 * Creates the reference connector and starts it; does not wait. Peers that dial its listeners may
 * be started while it starts (they must retry until the listener is up, as our nodes do).
 */
export function startReference(config: ReferenceConfig): RunningReference {
  const from = linesWritten;
  const deps = reduct();
  const app = createApp(
    {
      env: 'production',
      backend: 'one-to-one',
      spread: 0,
      store: 'memory',
      initialConnectTimeout: 3000,
      adminApi: false,
      ...config,
    },
    deps,
  );
  const broadcaster = deps(RouteBroadcaster) as { getStatus(): ReferenceRoutingStatus };
  const logs = () => linesSince(from);
  const ready = app.listen().then(() => {
    if (!logs().some((l) => l.includes('connector ready'))) {
      throw new Error(`ilp-connector did not start:\n${logs().join('\n')}`);
    }
  });
  // shutdown() disconnects only the plugins that are connected at that moment: a listener whose
  // peer already left keeps its port open. Disconnect every account's plugin afterwards.
  const stop = async () => {
    await app.shutdown();
    for (const id of Object.keys(config.accounts)) await app.getPlugin(id).disconnect();
  };
  return { app, ready, logs, stop, routing: () => broadcaster.getStatus() };
}
