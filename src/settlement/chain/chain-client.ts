/**
 * viem public and wallet clients for one chain, with the signer as a local account (so keys
 * never reach the RPC). Transactions from this client go out one at a time: each waits for its
 * receipt before the next takes a nonce, which keeps nonces right without a nonce manager and
 * bounds what is in flight. HTTP(S) RPC only for now.
 */
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractConstructorArgs,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hash,
  type Hex,
  type HttpTransport,
  http,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';
import type { Signer } from '../../keys/signer.js';
import { toViemAccount } from '../../keys/viem-account.js';
import { ChainError, toChainError } from './errors.js';
import { DEV_CHAIN_IDS } from './networks.js';

export interface ChainClientOptions {
  readonly rpcUrl: string;
  /** When given, the RPC must report this chain id (a wrong URL must not sign for another chain). */
  readonly chainId?: number | undefined;
  readonly name?: string | undefined;
  readonly signer: Signer;
  /** Receipt and block polling; default 1000 ms (Base and Arbitrum produce blocks faster). */
  readonly pollingIntervalMs?: number | undefined;
  /** One RPC request; default 10 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** How long a sent transaction may take to be mined; default 120 s. */
  readonly receiptTimeoutMs?: number | undefined;
  /** Retries of a failed RPC request (viem's backoff); default 2. */
  readonly retryCount?: number | undefined;
  /** Transactions queued behind the one in flight; default 64. */
  readonly queuedTransactionsMax?: number | undefined;
}

export interface TxResult {
  readonly txHash: Hash;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
}

const DEV_CLIENTS = /^(anvil|hardhatnetwork|ganache)/i;
const DEV_CHAINS: ReadonlySet<number> = new Set(DEV_CHAIN_IDS);

function makeChain(chainId: number, name: string, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export class ChainClient {
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly signer: Signer;
  readonly publicClient: PublicClient<HttpTransport, Chain>;
  readonly walletClient: WalletClient<HttpTransport, Chain, Account>;
  private readonly receiptTimeoutMs: number;
  private readonly pollingIntervalMs: number;
  private readonly queuedMax: number;
  private queued = 0;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(options: ChainClientOptions, chainId: number) {
    const { rpcUrl, signer } = options;
    if (!/^https?:\/\//i.test(rpcUrl)) {
      throw new ChainError('rpc', 'connect', 'only http(s) RPC URLs are supported for now');
    }
    this.chainId = chainId;
    this.rpcUrl = rpcUrl;
    this.signer = signer;
    this.pollingIntervalMs = options.pollingIntervalMs ?? 1000;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 120_000;
    this.queuedMax = options.queuedTransactionsMax ?? 64;
    const chain = makeChain(chainId, options.name ?? `chain-${chainId}`, rpcUrl);
    const transport = http(rpcUrl, {
      timeout: options.requestTimeoutMs ?? 10_000,
      retryCount: options.retryCount ?? 2,
    });
    this.publicClient = createPublicClient({ chain, transport, pollingInterval: this.pollingIntervalMs });
    this.walletClient = createWalletClient({
      chain,
      transport,
      account: toViemAccount(signer),
      pollingInterval: this.pollingIntervalMs,
    });
  }

  /** Asks the RPC for its chain id and refuses a mismatch with `options.chainId`. */
  static async connect(options: ChainClientOptions): Promise<ChainClient> {
    const probe = new ChainClient(options, options.chainId ?? 1);
    const actual = await probe.read('eth_chainId', () => probe.publicClient.getChainId());
    if (options.chainId !== undefined && actual !== options.chainId) {
      throw new ChainError(
        'wrong-chain',
        'connect',
        `RPC serves chain ${actual}, expected ${options.chainId}`,
      );
    }
    return options.chainId === actual ? probe : new ChainClient(options, actual);
  }

  get address(): Address {
    return this.signer.address;
  }

  /** Runs a read, mapping failures to ChainError. */
  async read<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toChainError(operation, error, this.rpcUrl);
    }
  }

  /** anvil, Hardhat or Ganache, or a chain id only dev chains use: where a TestToken may go. */
  async isDevChain(): Promise<boolean> {
    if (DEV_CHAINS.has(this.chainId)) return true;
    const version = await this.read('web3_clientVersion', () =>
      this.publicClient.request({ method: 'web3_clientVersion' }),
    );
    return DEV_CLIENTS.test(version);
  }

  /**
   * Sends one transaction (`send` returns its hash) after those queued before it, waits for the
   * receipt, and throws a ChainError unless it succeeded.
   */
  submit(operation: string, send: () => Promise<Hash>): Promise<TransactionReceipt> {
    if (this.queued >= this.queuedMax) {
      return Promise.reject(
        new ChainError(
          'rpc',
          operation,
          `${this.queued} transactions already queued (max ${this.queuedMax})`,
        ),
      );
    }
    this.queued++;
    const run = this.tail.then(() => this.sendAndWait(operation, send));
    this.tail = run.catch(() => undefined);
    return run.finally(() => {
      this.queued--;
    });
  }

  private async sendAndWait(operation: string, send: () => Promise<Hash>): Promise<TransactionReceipt> {
    let hash: Hash | undefined;
    try {
      hash = await send();
      const receipt = await this.publicClient.waitForTransactionReceipt({
        hash,
        timeout: this.receiptTimeoutMs,
        pollingInterval: this.pollingIntervalMs,
      });
      if (receipt.status !== 'success') {
        throw new ChainError('revert', operation, `transaction ${hash} reverted`, { txHash: hash });
      }
      return receipt;
    } catch (error) {
      throw toChainError(operation, error, this.rpcUrl, hash);
    }
  }

  /** Deploys a contract and returns its address. */
  async deploy<const A extends Abi>(
    operation: string,
    abi: A,
    bytecode: Hex,
    args: ContractConstructorArgs<A>,
  ): Promise<Address> {
    const receipt = await this.submit(operation, () =>
      // viem's deployContract overloads do not narrow on a generic ABI.
      this.walletClient.deployContract({ abi, bytecode, args } as unknown as Parameters<
        typeof this.walletClient.deployContract
      >[0]),
    );
    if (receipt.contractAddress === null || receipt.contractAddress === undefined) {
      throw new ChainError('not-found', operation, 'receipt has no contract address', {
        txHash: receipt.transactionHash,
      });
    }
    return receipt.contractAddress;
  }
}

export function txResult(receipt: TransactionReceipt): TxResult {
  return { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
