/**
 * An idle chain: anvil with automine only (no --block-time, nobody mines or moves its clock).
 * The payer closes unilaterally with claims unredeemed; the payee's watcher redeems inside the
 * challenge period, and the payer's watcher settles once wall-clock time says the period is over,
 * though no block after the close says so. Checked on chain through viem: the settle's block is
 * the first past the period (its parent is before it), and both wallets end exactly right.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, type Hex, http } from 'viem';
import type { ConnectorNode } from '../../src/index.js';
import { type TokenNetworkClient, tokenNetworkAbi } from '../../src/settlement/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

const PERIOD_S = 4;
const THRESHOLD = 1_000n;
const NEVER = 10n ** 30n;

describe('settling on an idle chain', { timeout: 60_000 }, () => {
  let chain: TestChain;
  let reader: TokenNetworkClient;
  let dir: string;
  let payer: ConnectorNode;
  let payee: ConnectorNode;
  const payerAddress = addressOf(ANVIL_KEYS[1]);
  const payeeAddress = addressOf(ANVIL_KEYS[2]);

  before(async () => {
    chain = await startTestChain(8453, 10n ** 30n, PERIOD_S);
    reader = await tokenNetworkAs(chain, ANVIL_KEYS[0]);
    dir = await mkdtemp(join(tmpdir(), 'idle-chain-'));
    payee = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: payerAddress }],
        ...settlementConfig(chain, ANVIL_KEYS[2], join(dir, 'b.json'), {
          redeemMinimum: NEVER,
          watchIntervalMs: 200,
          challengePeriodSeconds: PERIOD_S,
        }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    payee.setPacketHandler(() => ({ accept: true }));
    await payee.start();
    // The payer's regular watch pass is an hour away: only the wake-up at the period's end acts.
    payer = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(payee), authToken: 's', evmAddress: payeeAddress }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
        ...settlementConfig(chain, ANVIL_KEYS[1], join(dir, 'a.json'), {
          threshold: THRESHOLD,
          challengePeriodSeconds: PERIOD_S,
        }),
      }),
    );
    await payer.start();
    await waitConnected(payer, 'b');
    await Promise.all([payer.settlementReady(), payee.settlementReady()]);
  });

  after(async () => {
    await payer?.stop();
    await payee?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refund and payout complete after the challenge period without a block mined by hand', async () => {
    const payerStart = await chain.balanceOf(payerAddress);
    const payeeStart = await chain.balanceOf(payeeAddress);
    const deposit = 10_000n * FACTOR;
    await payer.openChannel('b', deposit);
    for (let nonce = 1n; nonce <= 2n; nonce++) {
      const received = nextSettlementEvent(payee, 'claim-received', (e) => e.nonce === nonce);
      const acknowledged = nextSettlementEvent(payer, 'claim-acknowledged', (e) => e.nonce === nonce);
      for (let i = 0n; i < THRESHOLD / 100n; i++)
        assert.equal((await sendData(payer, 'g.b.x', 100n, `n${nonce}-p${i}`)).type, 13);
      await received;
      await acknowledged;
    }
    const claimed = 2n * THRESHOLD * FACTOR;
    const channelId = (await payer.getChannelState('b')).outgoing?.channelId as Hex;

    const redeemed = nextSettlementEvent(payee, 'redeemed', (e) => e.channelId === channelId);
    const settled = nextSettlementEvent(
      payer,
      'channel-settled',
      (e) => e.channelId === channelId && e.direction === 'outgoing',
    );
    await payer.closeChannel('b', 'outgoing', { cooperative: false });
    const closing = await reader.getChannel(channelId);
    assert.equal(closing?.status, 'closing');
    assert.equal(closing?.redeemed, 0n);

    // The payee's payout: its watcher sees the close and redeems the latest claim.
    assert.equal((await redeemed).paid, claimed);
    assert.equal(await chain.balanceOf(payeeAddress), payeeStart + claimed);

    // The payer's refund, once the period is over by the wall clock.
    await settled;
    assert.equal(await reader.getChannel(channelId), undefined);
    assert.equal(await chain.balanceOf(payerAddress), payerStart - claimed);
    assert.equal(await chain.balanceOf(payeeAddress), payeeStart + claimed);

    const client = createPublicClient({ transport: http(chain.anvil.rpcUrl) });
    const [event] = await client.getContractEvents({
      address: chain.tokenNetwork,
      abi: tokenNetworkAbi,
      eventName: 'ChannelSettled',
      args: { channelId },
      fromBlock: 0n,
    });
    assert.ok(event !== undefined, 'a ChannelSettled event');
    const block = await client.getBlock({ blockNumber: event.blockNumber });
    const parent = await client.getBlock({ blockNumber: event.blockNumber - 1n });
    assert.ok(closing !== undefined && block.timestamp >= closing.settleableAt);
    assert.ok(parent.timestamp < closing.settleableAt, 'no block past the period before the settle');
    assert.equal((await payer.getChannelState('b')).outgoing, undefined);
  });
});
