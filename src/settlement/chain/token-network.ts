/**
 * Typed calls on one TokenNetwork (docs/contracts.md, "API"), and on the registry for dev
 * chains and tests. Every write waits for its receipt; every failure is a ChainError, with the
 * contract's custom error decoded. Deposits approve exactly the amount first (no open-ended
 * allowance). Which calls a role may make is the contract's business: a refused call reverts.
 */
import { type Address, type Hex, parseEventLogs, zeroAddress } from 'viem';
import type { Claim } from '../claims/claim.js';
import { testTokenAbi as erc20Abi, tokenNetworkAbi, tokenNetworkRegistryAbi } from './abi.js';
import { contractBytecode } from './artifacts.js';
import { type ChainClient, type TxResult, txResult } from './chain-client.js';
import { ChainError } from './errors.js';

export interface ChallengePeriodBounds {
  readonly challengePeriodMinSeconds: number;
  readonly challengePeriodMaxSeconds: number;
}

/** A channel as the contract holds it; `undefined` from getChannel once settled or unknown. */
export interface ChannelState {
  readonly channelId: Hex;
  readonly sender: Address;
  readonly receiver: Address;
  readonly challengePeriodSeconds: number;
  /** 0 while open; the closing time (seconds) after the sender's close. */
  readonly settleableAt: bigint;
  readonly nonce: bigint;
  readonly deposit: bigint;
  readonly redeemed: bigint;
  readonly status: 'open' | 'closing';
}

const ZERO_CHANNEL_ID = `0x${'0'.repeat(64)}` as Hex;

export class TokenNetworkClient {
  readonly client: ChainClient;
  readonly address: Address;
  private tokenAddress: Address | undefined;

  constructor(client: ChainClient, address: Address) {
    this.client = client;
    this.address = address;
  }

  static deployRegistry(client: ChainClient, bounds: ChallengePeriodBounds): Promise<Address> {
    return client.deploy(
      'deploy TokenNetworkRegistry',
      tokenNetworkRegistryAbi,
      contractBytecode('TokenNetworkRegistry'),
      [bounds.challengePeriodMinSeconds, bounds.challengePeriodMaxSeconds],
    );
  }

  /** Creates the token's TokenNetwork in `registry` (one per token). */
  static async createTokenNetwork(
    client: ChainClient,
    registry: Address,
    token: Address,
  ): Promise<TokenNetworkClient> {
    const receipt = await client.submit('createTokenNetwork', () =>
      client.walletClient.writeContract({
        address: registry,
        abi: tokenNetworkRegistryAbi,
        functionName: 'createTokenNetwork',
        args: [token],
      }),
    );
    const [created] = parseEventLogs({
      abi: tokenNetworkRegistryAbi,
      logs: receipt.logs,
      eventName: 'TokenNetworkCreated',
    });
    if (created === undefined)
      throw new ChainError('not-found', 'createTokenNetwork', 'no TokenNetworkCreated event');
    return new TokenNetworkClient(client, created.args.tokenNetwork);
  }

  /** The registry's TokenNetwork for `token`: the only one a connector trusts for that token. */
  static async fromRegistry(
    client: ChainClient,
    registry: Address,
    token: Address,
  ): Promise<TokenNetworkClient> {
    const address = await client.read('tokenToTokenNetwork', () =>
      client.publicClient.readContract({
        address: registry,
        abi: tokenNetworkRegistryAbi,
        functionName: 'tokenToTokenNetwork',
        args: [token],
      }),
    );
    if (address === zeroAddress) {
      throw new ChainError(
        'not-found',
        'tokenToTokenNetwork',
        `registry ${registry} has no TokenNetwork for ${token}`,
      );
    }
    return new TokenNetworkClient(client, address);
  }

  async token(): Promise<Address> {
    this.tokenAddress ??= await this.client.read('token', () =>
      this.client.publicClient.readContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'token',
      }),
    );
    return this.tokenAddress;
  }

  private async approve(amount: bigint): Promise<void> {
    const token = await this.token();
    const { publicClient, walletClient } = this.client;
    const allowance = await this.client.read('allowance', () =>
      publicClient.readContract({
        address: token,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [this.client.address, this.address],
      }),
    );
    if (allowance >= amount) return;
    await this.client.submit('approve', () =>
      walletClient.writeContract({
        address: token,
        abi: erc20Abi,
        functionName: 'approve',
        args: [this.address, amount],
      }),
    );
  }

  private write(operation: string, send: () => Promise<Hex>) {
    return this.client.submit(operation, send);
  }

  /** Opens a channel from this client's account to `receiver`, depositing `deposit` (may be 0). */
  async openChannel(
    receiver: Address,
    challengePeriodSeconds: number,
    deposit: bigint,
  ): Promise<TxResult & { channelId: Hex }> {
    if (deposit > 0n) await this.approve(deposit);
    const receipt = await this.write('openChannel', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'openChannel',
        args: [receiver, challengePeriodSeconds, deposit],
      }),
    );
    const [opened] = parseEventLogs({ abi: tokenNetworkAbi, logs: receipt.logs, eventName: 'ChannelOpened' });
    if (opened === undefined) throw new ChainError('not-found', 'openChannel', 'no ChannelOpened event');
    return { ...txResult(receipt), channelId: opened.args.channelId };
  }

  async deposit(channelId: Hex, amount: bigint): Promise<TxResult> {
    await this.approve(amount);
    const receipt = await this.write('deposit', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'deposit',
        args: [channelId, amount],
      }),
    );
    return txResult(receipt);
  }

  /** Receiver only: pays out the claim's increase over what was redeemed; returns that payout. */
  async redeem(claim: Claim): Promise<TxResult & { paid: bigint }> {
    const receipt = await this.write('redeem', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'redeem',
        args: [claim.channelId, claim.nonce, claim.transferredAmount, claim.signature],
      }),
    );
    const [redeemed] = parseEventLogs({
      abi: tokenNetworkAbi,
      logs: receipt.logs,
      eventName: 'ClaimRedeemed',
    });
    return { ...txResult(receipt), paid: redeemed?.args.paid ?? 0n };
  }

  /** Sender: starts the challenge period. Receiver: settles at once without a proof. */
  async closeChannel(channelId: Hex): Promise<TxResult> {
    const receipt = await this.write('closeChannel', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'closeChannel',
        args: [channelId],
      }),
    );
    return txResult(receipt);
  }

  /** Receiver only: applies its latest claim and settles at once. */
  async closeChannelWithProof(claim: Claim): Promise<TxResult> {
    const receipt = await this.write('closeChannelWithProof', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'closeChannelWithProof',
        args: [claim.channelId, claim.nonce, claim.transferredAmount, claim.signature],
      }),
    );
    return txResult(receipt);
  }

  /** Either participant, once the sender's challenge period is over: refunds the sender. */
  async settleChannel(channelId: Hex): Promise<TxResult> {
    const receipt = await this.write('settleChannel', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'settleChannel',
        args: [channelId],
      }),
    );
    return txResult(receipt);
  }

  /** Either participant, with both signatures over (channelId, transferredAmount). */
  async cooperativeSettle(
    channelId: Hex,
    transferredAmount: bigint,
    senderSignature: Hex,
    receiverSignature: Hex,
  ): Promise<TxResult> {
    const receipt = await this.write('cooperativeSettle', () =>
      this.client.walletClient.writeContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'cooperativeSettle',
        args: [channelId, transferredAmount, senderSignature, receiverSignature],
      }),
    );
    return txResult(receipt);
  }

  async getChannel(channelId: Hex): Promise<ChannelState | undefined> {
    const c = await this.client.read('getChannel', () =>
      this.client.publicClient.readContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'getChannel',
        args: [channelId],
      }),
    );
    if (c.sender === zeroAddress) return undefined;
    return {
      channelId,
      sender: c.sender,
      receiver: c.receiver,
      challengePeriodSeconds: c.challengePeriodSeconds,
      settleableAt: c.settleableAt,
      nonce: c.nonce,
      deposit: c.deposit,
      redeemed: c.redeemed,
      status: c.settleableAt === 0n ? 'open' : 'closing',
    };
  }

  /** The open (or closing) channel from `sender` to `receiver`, if any. */
  async channelIdOf(sender: Address, receiver: Address): Promise<Hex | undefined> {
    const id = await this.client.read('channelIdOf', () =>
      this.client.publicClient.readContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'channelIdOf',
        args: [sender, receiver],
      }),
    );
    return id === ZERO_CHANNEL_ID ? undefined : id;
  }

  /** The contract's own EIP-712 digest, to cross-check claims/typed-data.ts. */
  balanceProofDigest(channelId: Hex, nonce: bigint, transferredAmount: bigint): Promise<Hex> {
    return this.client.read('balanceProofDigest', () =>
      this.client.publicClient.readContract({
        address: this.address,
        abi: tokenNetworkAbi,
        functionName: 'balanceProofDigest',
        args: [channelId, nonce, transferredAmount],
      }),
    );
  }
}
