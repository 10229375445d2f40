/**
 * What an operator does to one channel, named by its id (the admin API and the CLI): top it up,
 * close it, settle it now; and the node's wallet on each chain: what settled channels returned,
 * and a withdrawal of it. Each action checks the channel's state first and refuses with
 * ERR_CHANNEL (a conflict) rather than sending a transaction bound to revert.
 */
import { type Address, getAddress, type Hex, isAddress } from 'viem';
import { ConnectorError } from '../../utils/errors.js';
import { sameHex } from '../../utils/text.js';
import { testTokenAbi } from '../chain/abi.js';
import type { ChainRuntime } from '../chain/runtime.js';
import type { ChannelBook } from '../channels/channel-book.js';
import type { IncomingChannel, OutgoingChannel } from '../channels/channel-store.js';
import { type ChannelView, channelView } from '../channels/channel-view.js';
import { MAX_UINT128 } from '../claims/typed-data.js';
import type { ChainConnections } from './chains.js';
import type { ChannelCloser } from './channel-closer.js';
import type { ChannelWatcher } from './channel-watcher.js';
import type { UnifiedSettlementExecutor } from './executor.js';
import type { SettlementMonitor } from './monitor.js';
import type { SerialQueues } from './queues.js';
import type { Reporter } from './reporter.js';

export interface OperatorOptions {
  readonly address: Address;
  readonly channels: Pick<ChannelBook, 'outgoing' | 'incoming' | 'incomingById' | 'currentOutgoing'>;
  readonly chains: Pick<ChainConnections, 'configured' | 'byName' | 'byId' | 'nameOf' | 'read'>;
  readonly queues: Pick<SerialQueues, 'outgoing'>;
  readonly executor: Pick<UnifiedSettlementExecutor, 'openChannel'>;
  readonly monitor: Pick<SettlementMonitor, 'settle'>;
  readonly closer: Pick<ChannelCloser, 'closeChannel'>;
  readonly watcher: Pick<ChannelWatcher, 'redeem' | 'settleOutgoingNow'>;
  readonly reporter: Pick<Reporter, 'counted'>;
}

/** The node's wallet on one chain. */
export interface WalletBalance {
  readonly chain: string;
  readonly chainId: number;
  readonly address: Address;
  /** Undefined while the chain is not connected. */
  readonly token?: Address;
  readonly tokenBalance?: bigint;
  readonly ethBalance?: bigint;
}

export interface WithdrawRequest {
  readonly to: string;
  readonly amount: bigint;
  /** A configured chain's name; default: the first configured. */
  readonly chain?: string | undefined;
}

export interface WithdrawResult {
  readonly chain: string;
  readonly to: Address;
  readonly amount: bigint;
  readonly txHash: Hex;
  readonly tokenBalance: bigint;
}

type Found =
  | { direction: 'outgoing'; channel: Readonly<OutgoingChannel> }
  | { direction: 'incoming'; channel: Readonly<IncomingChannel> };

/** Operator actions on one channel by id, and the wallet. */
export class ChannelOperator {
  readonly #o: OperatorOptions;

  constructor(options: OperatorOptions) {
    this.#o = options;
  }

  /** The channel as the API shows it; ERR_CHANNEL_UNKNOWN when this node has none with that id. */
  view(channelId: Hex): ChannelView {
    return this.#view(this.#find(channelId));
  }

  /** Deposits `amount` more into our open channel. */
  async deposit(channelId: Hex, amount: bigint): Promise<ChannelView> {
    const found = this.#find(channelId);
    if (found.direction !== 'outgoing')
      throw new ConnectorError('ERR_CHANNEL', `channel ${channelId} is the peer's: only its sender deposits`);
    if (amount <= 0n || amount > MAX_UINT128)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', 'amount must be positive and fit in uint128');
    this.#requireCurrentOpen(found.channel);
    const { queues, executor, reporter } = this.#o;
    const peerId = found.channel.peerId;
    await reporter.counted(queues.outgoing(peerId, () => executor.openChannel(peerId, amount)));
    return this.#view(found);
  }

  /** Closes the channel: ours cooperatively when asked and the peer co-signs, else unilaterally. */
  async close(channelId: Hex, cooperative: boolean): Promise<ChannelView> {
    const found = this.#find(channelId);
    if (found.channel.status !== 'open')
      throw new ConnectorError('ERR_CHANNEL', `channel ${channelId} is ${found.channel.status}`);
    if (found.direction === 'outgoing') this.#requireCurrentOpen(found.channel);
    await this.#o.closer.closeChannel(found.channel.peerId, found.direction, cooperative);
    return this.#view(found);
  }

  /**
   * Settles now. Ours, open: a claim for what we owe the peer, whatever the threshold. Ours,
   * closing: the settle transaction once the challenge period is over. The peer's: redeems its
   * latest claim. `claimSent` says whether a claim left.
   */
  async settle(channelId: Hex): Promise<{ channel: ChannelView; claimSent: boolean }> {
    const found = this.#find(channelId);
    const { channel } = found;
    if (channel.status === 'settled')
      throw new ConnectorError('ERR_CHANNEL', `channel ${channelId} is settled`);
    let claimSent = false;
    if (found.direction === 'incoming') {
      await this.#o.watcher.redeem(found.channel, true);
    } else if (channel.status === 'closing') {
      await this.#o.reporter.counted(
        this.#o.queues.outgoing(channel.peerId, () => this.#o.watcher.settleOutgoingNow(found.channel)),
      );
    } else {
      this.#requireCurrentOpen(found.channel);
      claimSent = (await this.#o.monitor.settle(channel.peerId, 'manual')) !== undefined;
    }
    return { channel: this.#view(found), claimSent };
  }

  /** The node's token and ETH on every configured chain. */
  async wallet(): Promise<WalletBalance[]> {
    const { chains, address } = this.#o;
    const balances: WalletBalance[] = [];
    for (const { name, chainId } of chains.configured()) {
      const chain = chains.byName(name);
      if (chain === undefined) {
        balances.push({ chain: name, chainId, address });
        continue;
      }
      const [tokenBalance, ethBalance] = await Promise.all([
        this.#tokenBalance(chain),
        chains.read(chain, () => chain.client.publicClient.getBalance({ address })),
      ]);
      balances.push({
        chain: name,
        chainId: chain.chainId,
        address,
        token: chain.token,
        tokenBalance,
        ethBalance,
      });
    }
    return balances;
  }

  /** Sends `amount` token base units from the node's wallet to `to` (what settled channels returned). */
  async withdraw(request: WithdrawRequest): Promise<WithdrawResult> {
    const { chains } = this.#o;
    if (!isAddress(request.to, { strict: false }))
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `to: ${request.to} is not an EVM address`);
    if (request.amount <= 0n || request.amount > MAX_UINT128)
      throw new ConnectorError('ERR_INVALID_ARGUMENT', 'amount must be positive and fit in uint128');
    const name = request.chain ?? chains.configured()[0]?.name;
    if (name === undefined || !chains.configured().some((c) => c.name === name))
      throw new ConnectorError('ERR_INVALID_ARGUMENT', `chain: no configured chain "${request.chain}"`);
    const chain = chains.byName(name);
    if (chain === undefined)
      throw new ConnectorError('ERR_SETTLEMENT_UNAVAILABLE', `chain "${name}" is not connected yet`);
    const balance = await this.#tokenBalance(chain);
    if (balance < request.amount)
      throw new ConnectorError(
        'ERR_INSUFFICIENT_FUNDS',
        `the wallet holds ${balance} token base units on ${name}, less than ${request.amount}`,
      );
    const to = getAddress(request.to.toLowerCase());
    const receipt = await this.#o.reporter.counted(
      chain.client.submit('transfer', () =>
        chain.client.walletClient.writeContract({
          address: chain.token,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [to, request.amount],
        }),
      ),
    );
    return {
      chain: name,
      to,
      amount: request.amount,
      txHash: receipt.transactionHash,
      tokenBalance: await this.#tokenBalance(chain),
    };
  }

  #tokenBalance(chain: ChainRuntime): Promise<bigint> {
    return this.#o.chains.read(chain, () =>
      chain.client.publicClient.readContract({
        address: chain.token,
        abi: testTokenAbi,
        functionName: 'balanceOf',
        args: [this.#o.address],
      }),
    );
  }

  #find(channelId: Hex): Found {
    const { channels } = this.#o;
    const outgoing = channels.outgoing.findLast((c) => sameHex(c.channelId, channelId));
    if (outgoing !== undefined) return { direction: 'outgoing', channel: outgoing };
    const incoming = channels.incomingById(channelId);
    if (incoming !== undefined) return { direction: 'incoming', channel: incoming };
    throw new ConnectorError('ERR_CHANNEL_UNKNOWN', `no channel ${channelId} on this node`);
  }

  /** Actions on our channel go through the peer's current one: an older one is done with. */
  #requireCurrentOpen(channel: Readonly<OutgoingChannel>): void {
    if (channel.status !== 'open')
      throw new ConnectorError('ERR_CHANNEL', `channel ${channel.channelId} is ${channel.status}`);
    const current = this.#o.channels.currentOutgoing(channel.peerId);
    if (current === undefined || !sameHex(current.channelId, channel.channelId))
      throw new ConnectorError(
        'ERR_CHANNEL',
        `channel ${channel.channelId} is not the current one to ${channel.peerId}`,
      );
  }

  #view(found: Found): ChannelView {
    return channelView(found.channel, found.direction, this.#o.chains.nameOf(found.channel.chainId));
  }
}
