/**
 * Cooperative close, the receiver's side (sub-protocol `payment-channel-close`): a raw BTP peer
 * `a` that pays B asks B to co-sign CooperativeSettle and then never submits it. B answers with
 * its co-signature (the same one again for the same request, a refusal for another amount or a
 * forged request), takes no claim on the channel from then on, and settles it itself on chain
 * once its watcher sees the close still pending.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bytesToHex, type Hex, recoverAddress } from 'viem';
import { BTP_TYPE, type BtpPacket, CONTENT_TYPE } from '../../src/codec/index.js';
import type { ConnectorNode } from '../../src/index.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import {
  CLAIM_SUB_PROTOCOL,
  CLOSE_SUB_PROTOCOL,
  cooperativeSettleDigest,
  encodeClaim,
  signClaim,
  signCooperativeSettle,
  type TokenNetworkClient,
} from '../../src/settlement/index.js';
import { RawClient } from '../btp/helpers.js';
import { baseConfig, makeNode } from '../helpers/nodes.js';
import { ANVIL_KEYS } from './anvil.js';
import {
  addressOf,
  CHALLENGE_PERIOD_S,
  FACTOR,
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const DEPOSIT = 5_000n * FACTOR;

/** Node B (settling, peer `a`), A's open channel to B, and a raw BTP client authenticated as `a`. */
interface Receiver {
  chain: TestChain;
  dir: string;
  b: ConnectorNode;
  raw: RawClient;
  asA: TokenNetworkClient;
  channelId: Hex;
}

/** Starts a Receiver before the suite's tests and stops it after them. */
function useReceiver(tag: string, watchIntervalMs?: number): Receiver {
  const s = {} as Receiver;
  before(async () => {
    s.chain = await startTestChain(8453);
    s.dir = await mkdtemp(join(tmpdir(), `settle-${tag}-`));
    s.b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(s.chain, KEY_B, join(s.dir, 'b.json'), {
          redeemMinimum: 10n ** 30n,
          ...(watchIntervalMs === undefined ? {} : { watchIntervalMs }),
        }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    await s.b.start();
    await s.b.settlementReady();
    s.asA = await tokenNetworkAs(s.chain, KEY_A);
    s.channelId = (await s.asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT)).channelId;
    s.raw = await RawClient.authed(s.b.btpPort, 'a', 's');
  });
  after(async () => {
    await s.raw?.close();
    await s.b?.stop();
    await s.chain?.stop();
    if (s.dir) await rm(s.dir, { recursive: true, force: true });
  });
  return s;
}

const ref = (s: Receiver) => ({
  chainId: s.chain.chainId,
  tokenNetwork: s.chain.tokenNetwork,
  channelId: s.channelId,
});

function send(s: Receiver, protocolName: string, data: Uint8Array): Promise<BtpPacket> {
  return s.raw.request([{ protocolName, contentType: CONTENT_TYPE.octetStream, data }]);
}

async function closeRequest(s: Receiver, key: string, amount: bigint): Promise<Uint8Array> {
  const signature = await signCooperativeSettle(EnvKeySigner.fromPrivateKey(key), ref(s), amount);
  return encodeClaim({ ...ref(s), nonce: 0n, transferredAmount: amount, signature });
}

describe('cooperative close: the receiver co-signs, then settles a close its sender left pending', {
  timeout: 30_000,
}, () => {
  const s = useReceiver('coop', 200);

  it('co-signs a close for the accepted amount, refuses anything else, then settles it itself', async () => {
    const claim = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(s), 1n, 1_000n * FACTOR);
    const accepted = await send(s, CLAIM_SUB_PROTOCOL, encodeClaim(claim));
    assert.equal(accepted.type, BTP_TYPE.response);
    const bStart = await s.chain.balanceOf(addressOf(KEY_B));
    const aStart = await s.chain.balanceOf(addressOf(KEY_A));

    // Below what B accepted: B would lose value.
    const low = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, KEY_A, 999n * FACTOR));
    assert.equal(low.type, BTP_TYPE.error);
    assert.match(
      low.type === BTP_TYPE.error ? low.data : '',
      /cooperative close refused: .*below the accepted/,
    );
    // Above it: B would credit value before the chain pays it.
    const high = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, KEY_A, 1_001n * FACTOR));
    assert.match(
      high.type === BTP_TYPE.error ? high.data : '',
      /cooperative close refused: .*above the accepted/,
    );
    // Signed by someone else.
    const forged = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, ANVIL_KEYS[3], 1_000n * FACTOR));
    assert.equal(forged.type, BTP_TYPE.error);

    const closing = nextSettlementEvent(s.b, 'channel-closing', (e) => e.channelId === s.channelId);
    const answer = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, KEY_A, 1_000n * FACTOR));
    assert.equal(answer.type, BTP_TYPE.response);
    const entry = answer.type === BTP_TYPE.response ? answer.protocolData[0] : undefined;
    assert.equal(entry?.protocolName, CLOSE_SUB_PROTOCOL);
    const coSignature = bytesToHex(entry!.data);
    const signer = await recoverAddress({
      hash: cooperativeSettleDigest(ref(s), 1_000n * FACTOR),
      signature: coSignature,
    });
    assert.equal(signer, addressOf(KEY_B));
    await closing;

    // The same request again: the same co-signature. Another amount: refused.
    const again = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, KEY_A, 1_000n * FACTOR));
    assert.equal(again.type === BTP_TYPE.response && bytesToHex(again.protocolData[0]!.data), coSignature);
    const more = await send(s, CLOSE_SUB_PROTOCOL, await closeRequest(s, KEY_A, 2_000n * FACTOR));
    assert.match(more.type === BTP_TYPE.error ? more.data : '', /already agreed/);

    // No claim on a channel B agreed to close.
    const later = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(s), 2n, 2_000n * FACTOR);
    const refused = await send(s, CLAIM_SUB_PROTOCOL, encodeClaim(later));
    assert.match(
      refused.type === BTP_TYPE.error ? refused.data : '',
      /claim refused: wrong-channel: .*cooperatively/,
    );
    assert.equal((await s.b.getBalance('a')).netBalance, 1_000n);

    // A never submits: B's watcher does, with both signatures.
    const settled = nextSettlementEvent(s.b, 'channel-settled', (e) => e.channelId === s.channelId);
    await settled;
    assert.equal(await s.asA.getChannel(s.channelId), undefined);
    assert.equal((await s.chain.balanceOf(addressOf(KEY_B))) - bStart, 1_000n * FACTOR);
    assert.equal((await s.chain.balanceOf(addressOf(KEY_A))) - aStart, DEPOSIT - 1_000n * FACTOR);
    const channel = s.b.listChannels().find((c) => c.channelId === s.channelId);
    assert.equal(channel?.status, 'settled');
    assert.equal(channel?.redeemed, (1_000n * FACTOR).toString());
  });
});

describe('cooperative close: a sender that closes unilaterally after the co-signature', {
  timeout: 30_000,
}, () => {
  // The watcher runs only when the test calls it.
  const s = useReceiver('coop2');

  it('gets the co-signed settle submitted by the receiver while the channel is closing', async () => {
    const claim = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(s), 1n, 700n * FACTOR);
    assert.equal((await send(s, CLAIM_SUB_PROTOCOL, encodeClaim(claim))).type, BTP_TYPE.response);
    const bStart = await s.chain.balanceOf(addressOf(KEY_B));
    const request = await closeRequest(s, KEY_A, 700n * FACTOR);
    assert.equal((await send(s, CLOSE_SUB_PROTOCOL, request)).type, BTP_TYPE.response);
    // A starts a unilateral close instead of submitting: B settles with both signatures.
    await s.asA.closeChannel(s.channelId);
    assert.equal((await s.asA.getChannel(s.channelId))?.status, 'closing');
    const settled = nextSettlementEvent(s.b, 'channel-settled', (e) => e.channelId === s.channelId);
    await s.b.watchChannels();
    await settled;
    assert.equal(await s.asA.getChannel(s.channelId), undefined);
    assert.equal((await s.chain.balanceOf(addressOf(KEY_B))) - bStart, 700n * FACTOR);
    assert.equal((await s.b.getBalance('a')).netBalance, 700n);
  });
});
