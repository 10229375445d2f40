/**
 * Settlement when a step fails: a payer whose ledger refuses to book a claim once must book
 * that claim before it signs anything more, so the debt is paid once, not twice. Peer B is a raw
 * BTP client that records the claims it gets and acknowledges them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BTP_TYPE, type BtpPacket, CONTENT_TYPE } from '../../src/codec/index.js';
import { type ConnectorConfig, ConnectorNode } from '../../src/index.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import { MemoryLedger, type Transfer, type TransferResult } from '../../src/ledger/index.js';
import {
  CLAIM_SUB_PROTOCOL,
  type Claim,
  decodeClaim,
  encodeClaim,
  signClaim,
} from '../../src/settlement/index.js';
import { silentLogger } from '../../src/utils/logger.js';
import { RawClient } from '../btp/helpers.js';
import { baseConfig, waitConnected } from '../helpers/nodes.js';
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

/** Refuses the next booking of a settlement payment, once (a ledger that failed for a moment). */
class FlakyLedger extends MemoryLedger {
  failNextSettlement = false;

  override transfer(t: Transfer): Promise<TransferResult> {
    if (this.failNextSettlement && t.creditAccount === 'own:settlement') {
      this.failNextSettlement = false;
      return Promise.reject(new Error('ledger unavailable for a moment'));
    }
    return super.transfer(t);
  }
}

describe('a payer whose ledger fails to book a claim', { timeout: 30_000 }, () => {
  let chain: TestChain;
  let dir: string;
  let a: ConnectorNode;
  let raw: RawClient | undefined;
  let ledger: FlakyLedger;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-fail-'));
    ledger = new FlakyLedger();
    a = new ConnectorNode(
      baseConfig('a', {
        peers: [{ id: 'b', evmAddress: addressOf(KEY_B) }],
        ...settlementConfig(chain, KEY_A, join(dir, 'a.json')),
      }),
      silentLogger(),
      { env: { BTP_PEER_B_SECRET: 's' }, ledger },
    );
    await a.start();
    await a.settlementReady();
    raw = await RawClient.authed(a.btpPort, 'b', 's');
    await waitConnected(a, 'b');
  });

  after(async () => {
    await raw?.close();
    await a?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The next claim A sends, acknowledged. */
  async function nextClaim(): Promise<Claim> {
    assert.ok(raw !== undefined);
    const message: BtpPacket = await raw.take((p) => p.type === BTP_TYPE.message);
    assert.equal(message.type, BTP_TYPE.message);
    if (message.type !== BTP_TYPE.message) throw new Error('unreachable');
    const entry = message.protocolData.find((e) => e.protocolName === CLAIM_SUB_PROTOCOL);
    assert.ok(entry !== undefined, 'a claim');
    raw.send({ type: BTP_TYPE.response, requestId: message.requestId, protocolData: [] });
    return decodeClaim(entry.data);
  }

  it('books the saved claim first and pays the debt once', async () => {
    // A owes B 1000.
    await ledger.createAccount('own:test');
    await ledger.transfer({ id: 777n, debitAccount: 'own:test', creditAccount: 'peer:b', amount: 1000n });
    ledger.failNextSettlement = true;
    // Signs and saves claim 1, fails to book it: not sent, and the caller is told why.
    await assert.rejects(a.settleNow('b'), /ledger unavailable for a moment/);
    assert.equal((await a.getBalance('b')).netBalance, 1000n, 'nothing booked yet');
    assert.equal((await a.getChannelState('b')).outgoing?.nonce, '1');

    const sent = nextClaim();
    await a.settleNow('b'); // books claim 1, sends it; nothing more is owed
    const claim = await sent;
    assert.equal(claim.nonce, 1n);
    assert.equal(claim.transferredAmount, 1000n * FACTOR);
    assert.equal((await a.getBalance('b')).netBalance, 0n);

    await a.settleNow('b'); // nothing owed: no claim
    const state = (await a.getChannelState('b')).outgoing;
    assert.equal(state?.nonce, '1');
    assert.equal(state?.transferred, (1000n * FACTOR).toString());
    assert.deepEqual(
      raw?.unclaimed.filter((p) => p.type === BTP_TYPE.message),
      [],
    );
  });
});

describe('a receiver that needs a longer challenge period than the channel gives', {
  timeout: 30_000,
}, () => {
  let chain: TestChain;
  let dir: string;
  let b: ConnectorNode;
  let raw: RawClient | undefined;

  before(async () => {
    chain = await startTestChain(8453);
    dir = await mkdtemp(join(tmpdir(), 'settle-period-'));
    const settle = settlementConfig(chain, KEY_B, join(dir, 'b.json'));
    b = new ConnectorNode(
      baseConfig('b', {
        peers: [{ id: 'a', evmAddress: addressOf(KEY_A) }],
        ...settle,
        settlementInfra: {
          ...settle.settlementInfra,
          minChallengePeriodSeconds: 3_600,
        } as ConnectorConfig['settlementInfra'],
      }),
      silentLogger(),
      { env: { BTP_PEER_A_SECRET: 's' } },
    );
    await b.start();
    await b.settlementReady();
    raw = await RawClient.authed(b.btpPort, 'a', 's');
  });

  after(async () => {
    await raw?.close();
    await b?.stop();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses claims on it: a close could outrun the watcher', async () => {
    const asA = await tokenNetworkAs(chain, KEY_A);
    const { channelId } = await asA.openChannel(addressOf(KEY_B), CHALLENGE_PERIOD_S, 1_000n * FACTOR);
    const ref = { chainId: chain.chainId, tokenNetwork: chain.tokenNetwork, channelId };
    const claim = await signClaim(EnvKeySigner.fromPrivateKey(KEY_A), ref, 1n, 500n * FACTOR);
    const refused = nextSettlementEvent(b, 'claim-refused');
    const answer = await raw!.request([
      { protocolName: CLAIM_SUB_PROTOCOL, contentType: CONTENT_TYPE.octetStream, data: encodeClaim(claim) },
    ]);
    assert.equal(answer.type, BTP_TYPE.error);
    assert.match(
      answer.type === BTP_TYPE.error ? answer.data : '',
      /wrong-channel: .*60 s challenge period, below the 3600 s/,
    );
    assert.equal((await refused).reason, 'wrong-channel');
    assert.equal((await b.getBalance('a')).netBalance, 0n);
  });
});
