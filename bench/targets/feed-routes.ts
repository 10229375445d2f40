/**
 * Fills a node's table with learned routes the way a network would: a CCP neighbour (ilp-plugin-btp
 * dialing the node as peer `feeder`) sends route updates of `g.learned-<i>`, ~450 routes each, and
 * answers the node's route control. Used by `--scale-learned` (bench/harness/learned.ts) before
 * the measured window; the feeder then stays connected and idle, its routes held for an hour.
 */
import { createRequire } from 'node:module';
import {
  CCP_UPDATE_DESTINATION,
  decodeFulfill,
  encodeCcpRouteUpdate,
  encodeFulfill,
  encodePrepare,
  PEER_PROTOCOL_CONDITION,
  PEER_PROTOCOL_FULFILLMENT,
} from '../../src/codec/index.js';

const require = createRequire(import.meta.url);

interface Plugin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendData(data: Buffer): Promise<Buffer>;
  registerDataHandler(handler: (data: Buffer) => Promise<Buffer>): void;
}
const BtpPlugin = require('ilp-plugin-btp') as new (opts: Record<string, unknown>) => Plugin;

export const FEEDER = { username: 'feeder', token: 'feeder-token', address: 'g.feeder' } as const;
const ROUTES_PER_UPDATE = 450;
const HOLD_DOWN_MS = 3_600_000;
const TABLE_ID = '6c6561726e65642d726f757465732d31'.replace(
  /^(.{8})(.{4})(.{4})(.{4})(.{12})$/,
  '$1-$2-$3-$4-$5',
);

/** Connects, sends `count` routes, and returns the connected plugin (disconnect it at exit). */
export async function feedLearnedRoutes(port: number, count: number): Promise<Plugin> {
  const plugin = new BtpPlugin({ server: `btp+ws://${FEEDER.username}:${FEEDER.token}@127.0.0.1:${port}` });
  const ok = Buffer.from(encodeFulfill({ fulfillment: PEER_PROTOCOL_FULFILLMENT, data: new Uint8Array(0) }));
  plugin.registerDataHandler(async () => ok);
  await plugin.connect();
  const auth = new Uint8Array(32);
  for (let first = 0; first < count; first += ROUTES_PER_UPDATE) {
    const last = Math.min(count, first + ROUTES_PER_UPDATE);
    const newRoutes = [];
    for (let i = first; i < last; i++)
      newRoutes.push({ prefix: `g.learned-${i}`, path: [FEEDER.address], auth, props: [] });
    const data = encodeCcpRouteUpdate({
      routingTableId: TABLE_ID,
      currentEpochIndex: count,
      fromEpochIndex: first,
      toEpochIndex: last,
      holdDownTime: HOLD_DOWN_MS,
      speaker: FEEDER.address,
      newRoutes,
      withdrawnRoutes: [],
    });
    const prepare = encodePrepare({
      amount: 0n,
      expiresAt: new Date(Date.now() + 30_000),
      executionCondition: PEER_PROTOCOL_CONDITION,
      destination: CCP_UPDATE_DESTINATION,
      data,
    });
    const reply = await plugin.sendData(Buffer.from(prepare));
    if (reply[0] !== 13) throw new Error(`route update ${first}-${last} was not accepted (type ${reply[0]})`);
    decodeFulfill(new Uint8Array(reply));
  }
  return plugin;
}
