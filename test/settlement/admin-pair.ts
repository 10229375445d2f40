/**
 * Two nodes settling on anvil (chain id 8453), each with its admin API on a free port: `a` pays
 * `b` (a channel a → b is opened by the tests), `b` accepts every packet and redeems only above
 * 10^30 base units, so claims stay unredeemed unless a test settles them. Shared by the admin API
 * and CLI tests of the channel operations.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, http } from 'viem';
import type { ConnectorNode } from '../../src/index.js';
import type { TokenNetworkClient } from '../../src/settlement/index.js';
import { baseConfig, btpUrl, makeNode, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

export const PAIR_KEY_A = ANVIL_KEYS[1];
export const PAIR_KEY_B = ANVIL_KEYS[2];

export interface AdminPair {
  chain: TestChain;
  dir: string;
  a: ConnectorNode;
  b: ConnectorNode;
  /** The TokenNetwork read as a third party (anvil key 0). */
  reader: TokenNetworkClient;
  viem: ReturnType<typeof createPublicClient>;
  stop(): Promise<void>;
}

export async function startAdminPair(
  adminApi: NonNullable<Parameters<typeof baseConfig>[1]>['adminApi'],
  dirPrefix: string,
): Promise<AdminPair> {
  const chain = await startTestChain(8453);
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const started: ConnectorNode[] = [];
  const stop = async () => {
    for (const node of started.reverse()) await node.stop();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const b = makeNode(
      baseConfig('b', {
        adminApi,
        peers: [{ id: 'a', evmAddress: addressOf(PAIR_KEY_A) }],
        ...settlementConfig(chain, PAIR_KEY_B, join(dir, 'b.json'), { redeemMinimum: 10n ** 30n }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    b.setPacketHandler(() => ({ accept: true }));
    await b.start();
    started.push(b);
    const a = makeNode(
      baseConfig('a', {
        adminApi,
        peers: [{ id: 'b', url: btpUrl(b), authToken: 's', evmAddress: addressOf(PAIR_KEY_B) }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settlementConfig(chain, PAIR_KEY_A, join(dir, 'a.json')),
      }),
    );
    await a.start();
    started.push(a);
    await waitConnected(a, 'b');
    await Promise.all([a.settlementReady(), b.settlementReady()]);
    const reader = await tokenNetworkAs(chain, ANVIL_KEYS[0]);
    const viem = createPublicClient({ transport: http(chain.anvil.rpcUrl) });
    return { chain, dir, a, b, reader, viem, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
