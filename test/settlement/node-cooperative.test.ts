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
  nextSettlementEvent,
  settlementConfig,
  startTestChain,
  type TestChain,
  tokenNetworkAs,
} from './chain-fixture.js';

const KEY_A = ANVIL_KEYS[1];
const KEY_B = ANVIL_KEYS[2];
const FACTOR = 10n ** 9n;
const DEPOSIT = 5_000n * FACTOR;

describe('cooperative close: the receiver co-signs, then settles a close its sender left pending', {
  timeout: 30_000,
}, () => {
  let chain: TestChain;
  let dir: string;
  let b: ConnectorNode;
  let raw: RawClient | undefined;
  let asA: TokenNetworkClient;
  let channelId: Hex;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-coop-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json'), {
          redeemMinimum: 10n ** 30n,
          watchIntervalMs: 200,
        }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    await b.start();
    await b.settlementReady();
    asA = await tokenNetworkAs(chain, KEY_A);
    channelId = (await asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT)).channelId;
    raw = await RawClient.authed(b.btpPort, 'a', 's');
  });

  after(async () => {
    await raw?.close();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ref = () => ({ chainId: chain.chainId, tokenNetwork: chain.tokenNetwork, channelId });

  function send(protocolName: string, data: Uint8Array): Promise<BtpPacket> {
    assert.ok(raw !== undefined);
    return raw.request([{ protocolName, contentType: CONTENT_TYPE.octetStream, data }]);
  }

  async function closeRequest(key: string, amount: bigint): Promise<Uint8Array> {
    const signature = await signCooperativeSettle(EnvKeySigner.fromPrivateKey(key), ref(), amount);
    return encodeClaim({ ...ref(), nonce: 0n, transferredAmount: amount, signature });
  }

  it('co-signs a close for the accepted amount, refuses anything else, then settles it itself', async () => {
    const claim = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(), 1n, 1_000n * FACTOR);
    const accepted = await send(CLAIM_SUB_PROTOCOL, encodeClaim(claim));
    assert.equal(accepted.type, BTP_TYPE.response);
    const bStart = await chain.balanceOf(addressOf(KEY_B));
    const aStart = await chain.balanceOf(addressOf(KEY_A));

    // Below what B accepted: B would lose value.
    const low = await send(CLOSE_SUB_PROTOCOL, await closeRequest(KEY_A, 999n * FACTOR));
    assert.equal(low.type, BTP_TYPE.error);
    assert.match(
      low.type === BTP_TYPE.error ? low.data : '',
      /cooperative close refused: .*below the accepted/,
    );
    // Above it: B would credit value before the chain pays it.
    const high = await send(CLOSE_SUB_PROTOCOL, await closeRequest(KEY_A, 1_001n * FACTOR));
    assert.match(
      high.type === BTP_TYPE.error ? high.data : '',
      /cooperative close refused: .*above the accepted/,
    );
    // Signed by someone else.
    const forged = await send(CLOSE_SUB_PROTOCOL, await closeRequest(ANVIL_KEYS[3], 1_000n * FACTOR));
    assert.equal(forged.type, BTP_TYPE.error);

    const closing = nextSettlementEvent(b, 'channel-closing', (e) => e.channelId === channelId);
    const answer = await send(CLOSE_SUB_PROTOCOL, await closeRequest(KEY_A, 1_000n * FACTOR));
    assert.equal(answer.type, BTP_TYPE.response);
    const entry = answer.type === BTP_TYPE.response ? answer.protocolData[0] : undefined;
    assert.equal(entry?.protocolName, CLOSE_SUB_PROTOCOL);
    const coSignature = bytesToHex(entry!.data);
    const signer = await recoverAddress({
      hash: cooperativeSettleDigest(ref(), 1_000n * FACTOR),
      signature: coSignature,
    });
    assert.equal(signer, addressOf(KEY_B));
    await closing;

    // The same request again: the same co-signature. Another amount: refused.
    const again = await send(CLOSE_SUB_PROTOCOL, await closeRequest(KEY_A, 1_000n * FACTOR));
    assert.equal(again.type === BTP_TYPE.response && bytesToHex(again.protocolData[0]!.data), coSignature);
    const more = await send(CLOSE_SUB_PROTOCOL, await closeRequest(KEY_A, 2_000n * FACTOR));
    assert.match(more.type === BTP_TYPE.error ? more.data : '', /already agreed/);

    // No claim on a channel B agreed to close.
    const later = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(), 2n, 2_000n * FACTOR);
    const refused = await send(CLAIM_SUB_PROTOCOL, encodeClaim(later));
    assert.match(
      refused.type === BTP_TYPE.error ? refused.data : '',
      /claim refused: wrong-channel: .*cooperatively/,
    );
    assert.equal((await b.getBalance('a')).netBalance, 1_000n);

    // A never submits: B's watcher does, with both signatures.
    const settled = nextSettlementEvent(b, 'channel-settled', (e) => e.channelId === channelId);
    await settled;
    assert.equal(await asA.getChannel(channelId), undefined);
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - bStart, 1_000n * FACTOR);
    assert.equal((await chain.balanceOf(addressOf(KEY_A))) - aStart, DEPOSIT - 1_000n * FACTOR);
    const channel = b.listChannels().find((c) => c.channelId === channelId);
    assert.equal(channel?.status, 'settled');
    assert.equal(channel?.redeemed, (1_000n * FACTOR).toString());
  });
});

describe('cooperative close: a sender that closes unilaterally after the co-signature', {
  timeout: 30_000,
}, () => {
  let chain: TestChain;
  let dir: string;
  let b: ConnectorNode;
  let raw: RawClient | undefined;
  let asA: TokenNetworkClient;
  let channelId: Hex;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-coop2-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        // The watcher runs only when the test calls it.
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json'), { redeemMinimum: 10n ** 30n }),
      }),
      { BTP_PEER_A_SECRET: 's' },
    );
    await b.start();
    await b.settlementReady();
    asA = await tokenNetworkAs(chain, KEY_A);
    channelId = (await asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT)).channelId;
    raw = await RawClient.authed(b.btpPort, 'a', 's');
  });

  after(async () => {
    await raw?.close();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ref = () => ({ chainId: chain.chainId, tokenNetwork: chain.tokenNetwork, channelId });

  function send(protocolName: string, data: Uint8Array): Promise<BtpPacket> {
    assert.ok(raw !== undefined);
    return raw.request([{ protocolName, contentType: CONTENT_TYPE.octetStream, data }]);
  }

  it('gets the co-signed settle submitted by the receiver while the channel is closing', async () => {
    const claim = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref(), 1n, 700n * FACTOR);
    assert.equal((await send(CLAIM_SUB_PROTOCOL, encodeClaim(claim))).type, BTP_TYPE.response);
    const bStart = await chain.balanceOf(addressOf(KEY_B));
    const signature = await signCooperativeSettle(EnvKeySigner.fromPrivateKey(KEY_A), ref(), 700n * FACTOR);
    const request = encodeClaim({ ...ref(), nonce: 0n, transferredAmount: 700n * FACTOR, signature });
    assert.equal((await send(CLOSE_SUB_PROTOCOL, request)).type, BTP_TYPE.response);
    // A starts a unilateral close instead of submitting: B settles with both signatures.
    await asA.closeChannel(channelId);
    assert.equal((await asA.getChannel(channelId))?.status, 'closing');
    const settled = nextSettlementEvent(b, 'channel-settled', (e) => e.channelId === channelId);
    await b.watchChannels();
    await settled;
    assert.equal(await asA.getChannel(channelId), undefined);
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - bStart, 700n * FACTOR);
    assert.equal((await b.getBalance('a')).netBalance, 700n);
  });
});
