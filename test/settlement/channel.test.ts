/**
 * Channels for real, on anvil with Base's chain id: deploy the artifacts, open a channel, sign
 * claims with the signers, verify them off-chain after a trip through the wire codec, redeem
 * on-chain, and walk the close paths. Token balances must move by exactly the claimed deltas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Address, type Hex, keccak256, toHex } from 'viem';
import { EnvKeySigner, HdWalletSigner, type Signer } from '../../src/keys/index.js';
import {
  balanceProofDigest,
  ChainClient,
  ChainError,
  type Claim,
  decodeClaim,
  deployContracts,
  encodeClaim,
  MAX_UINT64,
  MAX_UINT128,
  signClaim,
  signCooperativeSettle,
  TokenNetworkClient,
  testTokenAbi,
  verifyClaim,
} from '../../src/settlement/index.js';
import { ANVIL_KEYS, type Anvil, startAnvil, TEST_MNEMONIC } from './anvil.js';

const CHAIN_ID = 8453;
const PERIOD_S = 60;
const POLL_MS = 20;
const MINTED = 1_000_000n;

let anvil: Anvil;
let deployer: Signer;
let sender: Signer;
let receiver: Signer;
let stranger: Signer;
let token: Address;
let registry: Address;
let asSender: TokenNetworkClient;
let asReceiver: TokenNetworkClient;
let asStranger: TokenNetworkClient;

async function connect(signer: Signer): Promise<ChainClient> {
  return ChainClient.connect({ rpcUrl: anvil.rpcUrl, chainId: CHAIN_ID, signer, pollingIntervalMs: POLL_MS });
}

async function balanceOf(owner: Address): Promise<bigint> {
  return asSender.client.publicClient.readContract({
    address: token,
    abi: testTokenAbi,
    functionName: 'balanceOf',
    args: [owner],
  });
}

/** Sender signs; the claim crosses the wire codec; the receiver verifies it against the chain. */
async function sendClaim(
  channelId: Hex,
  nonce: bigint,
  amount: bigint,
  last: { nonce: bigint; amount: bigint },
) {
  const ref = { chainId: CHAIN_ID, tokenNetwork: asSender.address, channelId };
  const claim = decodeClaim(encodeClaim(await signClaim(sender, ref, nonce, amount)));
  const channel = await asReceiver.getChannel(channelId);
  assert.ok(channel);
  const verdict = await verifyClaim(claim, {
    ...ref,
    sender: sender.address,
    deposit: channel.deposit,
    lastNonce: last.nonce,
    lastAmount: last.amount,
  });
  return { claim, verdict };
}

async function assertReverts(promise: Promise<unknown>, errorName: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ChainError, String(error));
    assert.equal(error.kind, 'revert');
    assert.equal(error.errorName, errorName, error.message);
    return true;
  });
}

describe(`channels on anvil (chain ${CHAIN_ID})`, { timeout: 60_000 }, () => {
  before(async () => {
    anvil = await startAnvil(CHAIN_ID);
    deployer = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]);
    sender = HdWalletSigner.fromMnemonic(TEST_MNEMONIC, { path: "m/44'/60'/0'/0/1" });
    receiver = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[2]);
    stranger = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[3]);
    const deployed = await deployContracts({
      rpcUrl: anvil.rpcUrl,
      signer: deployer,
      chainId: CHAIN_ID,
      bounds: { challengePeriodMinSeconds: PERIOD_S, challengePeriodMaxSeconds: 86_400 },
      pollingIntervalMs: POLL_MS,
    });
    token = deployed.token;
    registry = deployed.registry;
    asSender = await TokenNetworkClient.fromRegistry(await connect(sender), registry, token);
    asReceiver = new TokenNetworkClient(await connect(receiver), asSender.address);
    asStranger = new TokenNetworkClient(await connect(stranger), asSender.address);
    assert.equal(asSender.address, deployed.tokenNetwork);
    const minter = await connect(deployer);
    await minter.submit('mint', () =>
      minter.walletClient.writeContract({
        address: token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [sender.address, MINTED],
      }),
    );
  });

  after(async () => {
    await anvil?.stop();
  });

  it('refuses an RPC that serves another chain', async () => {
    await assert.rejects(
      ChainClient.connect({ rpcUrl: anvil.rpcUrl, chainId: 42161, signer: sender }),
      (error: unknown) => error instanceof ChainError && error.kind === 'wrong-chain',
    );
  });

  it("viem's EIP-712 digest equals the contract's balanceProofDigest", async () => {
    const ref = { chainId: CHAIN_ID, tokenNetwork: asSender.address };
    const cases: [Hex, bigint, bigint][] = [
      [keccak256(toHex('a')), 1n, 0n],
      [keccak256(toHex('b')), 7n, 123_456_789n],
      [`0x${'ff'.repeat(32)}`, MAX_UINT64, MAX_UINT128],
    ];
    for (const [channelId, nonce, amount] of cases) {
      const onChain = await asSender.balanceProofDigest(channelId, nonce, amount);
      assert.equal(balanceProofDigest({ ...ref, channelId }, nonce, amount), onChain);
    }
  });

  it('open, claim, verify, redeem: the receiver gains exactly each delta; replays are refused', async () => {
    const opened = await asSender.openChannel(receiver.address, PERIOD_S, 1_000n);
    const { channelId } = opened;
    assert.equal(await asSender.channelIdOf(sender.address, receiver.address), channelId);
    const state = await asReceiver.getChannel(channelId);
    assert.deepEqual(
      { ...state },
      {
        channelId,
        sender: sender.address,
        receiver: receiver.address,
        challengePeriodSeconds: PERIOD_S,
        settleableAt: 0n,
        nonce: 0n,
        deposit: 1_000n,
        redeemed: 0n,
        status: 'open',
      },
    );

    const first = await sendClaim(channelId, 1n, 100n, { nonce: 0n, amount: 0n });
    assert.deepEqual(first.verdict, { ok: true, signer: sender.address, delta: 100n });
    const second = await sendClaim(channelId, 2n, 250n, { nonce: 1n, amount: 100n });
    assert.deepEqual(second.verdict, { ok: true, signer: sender.address, delta: 150n });

    const before = await balanceOf(receiver.address);
    assert.equal((await asReceiver.redeem(first.claim)).paid, 100n);
    assert.equal(await balanceOf(receiver.address), before + 100n);
    assert.equal((await asReceiver.redeem(second.claim)).paid, 150n);
    assert.equal(await balanceOf(receiver.address), before + 250n);

    await assertReverts(asReceiver.redeem(second.claim), 'StaleProof');
    const replay = await sendClaim(channelId, 2n, 250n, { nonce: 2n, amount: 250n });
    assert.equal(replay.verdict.ok, false);
    assert.equal(!replay.verdict.ok && replay.verdict.reason, 'stale-nonce');

    await asSender.deposit(channelId, 500n);
    assert.equal((await asReceiver.getChannel(channelId))?.deposit, 1_500n);

    // The receiver closes with its latest proof: paid at once, the rest refunded, channel gone.
    const third = await sendClaim(channelId, 3n, 1_200n, { nonce: 2n, amount: 250n });
    assert.deepEqual(third.verdict, { ok: true, signer: sender.address, delta: 950n });
    const senderBefore = await balanceOf(sender.address);
    await asReceiver.closeChannelWithProof(third.claim);
    assert.equal(await balanceOf(receiver.address), before + 1_200n);
    assert.equal(await balanceOf(sender.address), senderBefore + 300n);
    assert.equal(await asReceiver.getChannel(channelId), undefined);
    assert.equal(await asSender.channelIdOf(sender.address, receiver.address), undefined);
  });

  it('sender close, challenge with a newer proof, early settle refused, settle after the period', async () => {
    const { channelId } = await asSender.openChannel(receiver.address, PERIOD_S, 1_000n);
    const claim = (await sendClaim(channelId, 1n, 600n, { nonce: 0n, amount: 0n })).claim;
    const senderBefore = await balanceOf(sender.address);
    const receiverBefore = await balanceOf(receiver.address);

    await asSender.closeChannel(channelId);
    const closing = await asSender.getChannel(channelId);
    assert.equal(closing?.status, 'closing');
    await assertReverts(asSender.settleChannel(channelId), 'ChallengePeriodActive');
    assert.equal((await asReceiver.redeem(claim)).paid, 600n);

    await anvil.rpc('evm_increaseTime', [PERIOD_S]);
    await anvil.rpc('evm_mine');
    await asSender.settleChannel(channelId);
    assert.equal(await balanceOf(receiver.address), receiverBefore + 600n);
    assert.equal(await balanceOf(sender.address), senderBefore + 400n);
    assert.equal(await asSender.getChannel(channelId), undefined);
  });

  it('cooperative settle pays the agreed amount at once', async () => {
    const { channelId } = await asSender.openChannel(receiver.address, PERIOD_S, 800n);
    const ref = { chainId: CHAIN_ID, tokenNetwork: asSender.address, channelId };
    const senderBefore = await balanceOf(sender.address);
    const receiverBefore = await balanceOf(receiver.address);
    const bySender = await signCooperativeSettle(sender, ref, 300n);
    const byReceiver = await signCooperativeSettle(receiver, ref, 300n);
    await assertReverts(
      asStranger.cooperativeSettle(channelId, 300n, bySender, byReceiver),
      'NotParticipant',
    );
    await asReceiver.cooperativeSettle(channelId, 300n, bySender, byReceiver);
    assert.equal(await balanceOf(receiver.address), receiverBefore + 300n);
    assert.equal(await balanceOf(sender.address), senderBefore + 500n);
  });

  it('on-chain refusals come back as typed ChainErrors', async () => {
    const { channelId } = await asSender.openChannel(receiver.address, PERIOD_S, 100n);
    const ref = { chainId: CHAIN_ID, tokenNetwork: asSender.address, channelId };
    const good: Claim = await signClaim(sender, ref, 1n, 50n);
    await assertReverts(asStranger.redeem(good), 'NotReceiver');
    await assertReverts(asSender.redeem(good), 'NotReceiver');
    await assertReverts(asReceiver.redeem(await signClaim(receiver, ref, 1n, 50n)), 'WrongSigner');
    await assertReverts(asReceiver.redeem(await signClaim(sender, ref, 1n, 101n)), 'ClaimExceedsDeposit');
    await assertReverts(
      asReceiver.redeem(await signClaim(sender, { ...ref, chainId: 42161 }, 1n, 50n)),
      'WrongSigner',
    );
    await assertReverts(asSender.openChannel(receiver.address, PERIOD_S, 0n), 'ChannelAlreadyOpen');
    await asReceiver.closeChannel(channelId);
  });
});
