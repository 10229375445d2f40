/**
 * Node under test: the reference `ilp-connector` 23 (npm) in its own process, configured as in
 * DESIGN §11 so that it runs offline, exact and unthrottled: in-memory store, `one-to-one` rates,
 * spread 0, the per-account rate limit lifted (its default is 10,000 packets per minute), no
 * maximum packet amount, a balance with a maximum nobody reaches (so it books every packet as we
 * do), and no route broadcasting to the load clients. Each ilp-plugin-btp account either listens
 * on its own port (one peer per port) or dials another node.
 *
 * Tells the orchestrator `ready` once `listen()` has finished, which is after every account
 * connected; its log (riverpig) goes to stdout, which the orchestrator drains.
 *
 *   node dist/bench/targets/reference.js '{"ilpAddress":"g.n1","accounts":[...],"routes":[...]}'
 */
import { createRequire } from 'node:module';
import { die, exitOnSignal, optionsFromArgv, tell } from '../harness/messages.js';

export interface ReferenceAccountSpec {
  id: string;
  /** Listen on this port for the one peer of this account, checking `secret`. */
  listen?: { port: number; secret: string };
  /** Or dial this `btp+ws://user:token@host:port` URL. */
  server?: string;
}

export interface ReferenceOptions {
  ilpAddress: string;
  accounts: ReferenceAccountSpec[];
  routes: Array<{ targetPrefix: string; peerId: string }>;
  /** Bound on `listen()` waiting for every account to connect. */
  connectTimeoutMs?: number;
}

interface App {
  listen(): Promise<void>;
  getPlugin(id: string): { isConnected(): boolean };
}

const require = createRequire(import.meta.url);
const NO_LIMIT = '1000000000000000000000000';
const RATE_UNLIMITED = { refillPeriod: 1000, refillCount: 1_000_000_000, capacity: 1_000_000_000 };

function account(spec: ReferenceAccountSpec): Record<string, unknown> {
  const options =
    spec.listen !== undefined
      ? {
          listener: {
            port: spec.listen.port,
            secret: spec.listen.secret,
            wsOpts: { host: '127.0.0.1', port: spec.listen.port, perMessageDeflate: false },
          },
        }
      : { server: spec.server };
  return {
    relation: 'peer',
    plugin: 'ilp-plugin-btp',
    assetCode: 'USD',
    assetScale: 9,
    rateLimit: RATE_UNLIMITED,
    balance: { minimum: `-${NO_LIMIT}`, maximum: NO_LIMIT },
    sendRoutes: false,
    receiveRoutes: false,
    options,
  };
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<ReferenceOptions>();
  const { createApp } = require('ilp-connector') as { createApp(config: unknown): App };
  const accounts = Object.fromEntries(opts.accounts.map((a) => [a.id, account(a)]));
  const app = createApp({
    env: 'production',
    ilpAddress: opts.ilpAddress,
    backend: 'one-to-one',
    spread: 0,
    store: 'memory',
    adminApi: false,
    initialConnectTimeout: opts.connectTimeoutMs ?? 60_000,
    accounts,
    routes: opts.routes,
  });
  await app.listen();
  const missing = opts.accounts.filter((a) => !app.getPlugin(a.id).isConnected()).map((a) => a.id);
  if (missing.length > 0)
    throw new Error(`accounts not connected after listen(): ${missing.slice(0, 10).join(', ')}`);
  for (const a of opts.accounts) tell({ type: 'peer', id: a.id });
  tell({ type: 'ready' });
}

main().catch(die);
