/**
 * Claims a receiver must refuse (DESIGN §7, Being paid). Node B settles on anvil (8453) with
 * peer `a`, whose key opened a real channel to B. A raw BTP client, authenticated as `a`, sends
 * forged, replayed, wrong-channel, wrong-chain, wrong-contract, over-deposit and malformed
 * claims: each is answered with BTP Error F00 naming the reason, reported as a 'claim-refused'
 * event, and credits nothing. Valid claims in between are credited by exactly their increase.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import { BTP_TYPE, type BtpPacket, CONTENT_TYPE } from '../../src/codec/index.js';
import type { ConnectorNode } from '../../src/index.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import { joinSignature, SECP256K1_N, splitSignature } from '../../src/keys/signature.js';
import {
  type ChannelRef,
  CLAIM_SUB_PROTOCOL,
  CLAIM_WIRE_LENGTH,
  type Claim,
  type ClaimRefusal,
  encodeClaim,
  signClaim,
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
const KEY_OTHER = ANVIL_KEYS[3];
const SECRET = 's';
const DEPOSIT = 5_000n * FACTOR;

describe('a receiver refuses bad claims and credits nothing for them', { timeout: 30_000 }, () => {
  let chain: TestChain;
  let dir: string;
  let b: ConnectorNode;
  let raw: RawClient | undefined;
  /** A's key on chain. */
  let asA: TokenNetworkClient;
  /** A's channel to B. */
  let channelId: Hex;
  /** A channel from another key to B: real, open, but not `a`'s. */
  let otherSenderChannelId: Hex;
  /** A channel from A's key to another receiver: real, open, but not B's. */
  let otherReceiverChannelId: Hex;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-adv-'));
    b = makeNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        // Nothing is redeemed on its own: redemptions would race the test's own reads.
        ...settlementConfig(chain, KEY_B, join(dir, 'b.json'), { redeemMinimum: 10n ** 30n }),
      }),
      { BTP_PEER_A_SECRET: SECRET },
    );
    await b.start();
    await b.settlementReady();
    asA = await tokenNetworkAs(chain, KEY_A);
    channelId = (await asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT)).channelId;
    otherReceiverChannelId = (await asA.openChannel(addressOf(KEY_OTHER), CHALLENGE_PERIOD_S, DEPOSIT))
      .channelId;
    const asOther = await tokenNetworkAs(chain, KEY_OTHER);
    otherSenderChannelId = (await asOther.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT))
      .channelId;
    raw = await RawClient.authed(b.btpPort, 'a', SECRET);
  });

  after(async () => {
    await raw?.close();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function claim(key: string, nonce: bigint, amount: bigint, ref: Partial<ChannelRef> = {}): Promise<Claim> {
    const full = { chainId: chain.chainId, tokenNetwork: chain.tokenNetwork, channelId, ...ref };
    return signClaim(EnvKeySigner.fromPrivateKey(key), full, nonce, amount);
  }

  async function claimBytes(
    key: string,
    nonce: bigint,
    amount: bigint,
    ref: Partial<ChannelRef> = {},
  ): Promise<Uint8Array> {
    return encodeClaim(await claim(key, nonce, amount, ref));
  }

  function send(data: Uint8Array): Promise<BtpPacket> {
    assert.ok(raw !== undefined);
    return raw.request([{ protocolName: CLAIM_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data }]);
  }

  async function netBalance(): Promise<bigint> {
    return (await b.getBalance('a')).netBalance;
  }

  /** F00 naming `reason`, a 'claim-refused' event with it, and A's balance untouched. */
  async function expectRefused(data: Uint8Array, reason: ClaimRefusal): Promise<void> {
    const balance = await netBalance();
    const refused = nextSettlementEvent(b, 'claim-refused');
    const answer = await send(data);
    assert.equal(answer.type, BTP_TYPE.error, `expected a BTP Error for ${reason}`);
    if (answer.type !== BTP_TYPE.error) return;
    assert.equal(answer.code, 'F00');
    assert.equal(answer.name, 'NotAcceptedError');
    assert.ok(answer.data.startsWith(`claim refused: ${reason}: `), answer.data);
    const event = await refused;
    assert.equal(event.peerId, 'a');
    assert.equal(event.reason, reason);
    assert.equal(await netBalance(), balance);
  }

  /** An empty Response and a credit of exactly `ilpDelta`. */
  async function expectAccepted(data: Uint8Array, ilpDelta: bigint): Promise<void> {
    const balance = await netBalance();
    const answer = await send(data);
    assert.equal(answer.type, BTP_TYPE.response, answer.type === BTP_TYPE.error ? answer.data : '');
    assert.deepEqual(answer.type === BTP_TYPE.response && answer.protocolData, []);
    assert.equal((await netBalance()) - balance, ilpDelta);
  }

  it('forged: a claim signed by another key → wrong-signer', async () => {
    await expectRefused(await claimBytes(KEY_OTHER, 1n, 1_000n * FACTOR), 'wrong-signer');
  });

  it('malleable: the high-s twin of a valid signature → malleable-signature', async () => {
    const valid = await claim(KEY_A, 1n, 1_000n * FACTOR);
    const { r, s, v } = splitSignature(valid.signature);
    const twin = joinSignature({ r, s: SECP256K1_N - s, v: v === 27 ? 28 : 27 });
    await expectRefused(encodeClaim({ ...valid, signature: twin }), 'malleable-signature');
  });

  it("wrong-channel: A's signature on an unknown channel, another sender's, another receiver's", async () => {
    const unknown = `0x${randomBytes(32).toString('hex')}` as Hex;
    for (const id of [unknown, otherSenderChannelId, otherReceiverChannelId]) {
      await expectRefused(await claimBytes(KEY_A, 1n, 1_000n * FACTOR, { channelId: id }), 'wrong-channel');
    }
  });

  it('wrong-chain: a claim for chain 42161 while B settles on 8453', async () => {
    await expectRefused(await claimBytes(KEY_A, 1n, 1_000n * FACTOR, { chainId: 42161 }), 'wrong-chain');
  });

  it('wrong-contract: a claim for a TokenNetwork that is not the registry one', async () => {
    const other: Address = chain.token;
    await expectRefused(
      await claimBytes(KEY_A, 1n, 1_000n * FACTOR, { tokenNetwork: other }),
      'wrong-contract',
    );
  });

  it('exceeds-deposit: a claim above the deposit', async () => {
    await expectRefused(await claimBytes(KEY_A, 1n, DEPOSIT + 1n), 'exceeds-deposit');
  });

  it('replayed: older claims are stale, the latest sent again is acknowledged without credit', async () => {
    const first = await claimBytes(KEY_A, 1n, 1_000n * FACTOR);
    const latest = await claimBytes(KEY_A, 2n, 2_500n * FACTOR);
    await expectAccepted(first, 1_000n);
    await expectAccepted(latest, 1_500n);
    await expectRefused(first, 'stale-nonce');
    // An old nonce with a higher amount is no better.
    await expectRefused(await claimBytes(KEY_A, 1n, 4_000n * FACTOR), 'stale-nonce');
    // A newer nonce may not take back what was claimed.
    await expectRefused(await claimBytes(KEY_A, 3n, 2_000n * FACTOR), 'amount-decreased');

    let received = 0;
    const count = (e: { type: string }) => {
      if (e.type === 'claim-received') received++;
    };
    b.on('settlement', count);
    try {
      await expectAccepted(latest, 0n);
    } finally {
      b.off('settlement', count);
    }
    assert.equal(received, 0, 'a claim sent again is not received twice');
    const state = await b.getChannelState('a');
    assert.equal(state.incoming?.nonce, '2');
    assert.equal(state.incoming?.transferred, (2_500n * FACTOR).toString());
  });

  it('malformed: 149 bytes → malformed-claim; the link stays up and takes a valid claim', async () => {
    const valid = await claimBytes(KEY_A, 3n, 3_000n * FACTOR);
    await expectRefused(valid.subarray(0, CLAIM_WIRE_LENGTH - 1), 'malformed-claim');
    assert.ok(raw?.isOpen);
    assert.ok(b.isConnected('a'));
    await expectAccepted(valid, 500n);
  });

  it('only the accepted claims are worth anything on chain: closing redeems exactly them', async () => {
    const before = await chain.balanceOf(addressOf(KEY_B));
    await b.closeChannel('a', 'incoming');
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - before, 3_000n * FACTOR);
    const asB = await tokenNetworkAs(chain, KEY_B);
    assert.equal(await asB.getChannel(channelId), undefined);
    assert.equal((await b.getChannelState('a')).incoming, undefined);
  });

  it('the refusals and acceptances above are counted in /metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${b.healthPort}/metrics`);
    assert.equal(res.status, 200);
    const body = await res.text();
    const sample = (name: string, label: string): number => {
      const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
      assert.ok(line !== undefined, `${name} ${label} in /metrics`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const refused: Record<string, number> = {
      'wrong-signer': 1,
      'malleable-signature': 1,
      'wrong-channel': 3,
      'wrong-chain': 1,
      'wrong-contract': 1,
      'exceeds-deposit': 1,
      'stale-nonce': 2,
      'amount-decreased': 1,
      'malformed-claim': 1,
    };
    for (const [reason, count] of Object.entries(refused)) {
      assert.equal(sample('connector_settlement_claims_refused_total', `reason="${reason}"`), count, reason);
    }
    // Nonces 1, 2 and 3; the resent claim 2 is not counted again.
    assert.equal(sample('connector_settlement_claims_total', 'direction="received"'), 3);
  });

  it('a claim on a channel whose challenge period is over is refused: it could never be redeemed', {}, async () => {
    const opened = await asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, DEPOSIT);
    const ref = { channelId: opened.channelId };
    await expectAccepted(await claimBytes(KEY_A, 1n, 1_000n * FACTOR, ref), 1_000n);
    const tokensBefore = await chain.balanceOf(addressOf(KEY_B));
    await asA.closeChannel(opened.channelId);
    const redeemed = nextSettlementEvent(b, 'redeemed', (e) => e.channelId === opened.channelId);
    await b.watchChannels();
    assert.equal((await redeemed).paid, 1_000n * FACTOR);
    await chain.advance(CHALLENGE_PERIOD_S + 1);

    // The sender has not settled yet: the channel is still on chain, but no proof is accepted
    // there any more. Crediting this claim would hand A value that B can never collect.
    await expectRefused(await claimBytes(KEY_A, 2n, 3_000n * FACTOR, ref), 'wrong-channel');
    await asA.settleChannel(opened.channelId);
    assert.equal((await chain.balanceOf(addressOf(KEY_B))) - tokensBefore, 1_000n * FACTOR);
  });
});
