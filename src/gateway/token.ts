/**
 * The EIP-3009 token on the gateway's chain, through the node's signer: the reads a
 * verification needs, the EIP-712 domain, and `transferWithAuthorization` in USDC's `(v, r, s)`
 * form (every USDC version has it; the `bytes` form came with v2.2).
 */
import { type Address, type Hash, type Hex, parseSignature } from 'viem';
import { type ChainClient, type ChainClients, testTokenAbi } from '../settlement/index.js';
import type { TokenDomain, TokenReads } from './verify.js';
import type { Authorization } from './x402.js';

const USED_IN_BLOCKS = 9_000n;

export interface TokenOptions {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly asset: Address;
  /** The node's chain clients: the gateway sends through the same client as settlement. */
  readonly clients: ChainClients;
  readonly pollingIntervalMs: number;
  /** Configured domain fields; what is missing is read from the token. */
  readonly name?: string | undefined;
  readonly version?: string | undefined;
}

export class GatewayToken implements TokenReads {
  private constructor(
    readonly client: ChainClient,
    readonly asset: Address,
    readonly domain: TokenDomain,
    readonly decimals: number,
  ) {}

  /**
   * Connects (the RPC must serve `chainId`) and reads the domain and decimals. On a chain the
   * node's settlement uses too, the client is settlement's (one transaction queue, one nonce
   * source for the key there), with its RPC URL.
   */
  static async connect(o: TokenOptions): Promise<GatewayToken> {
    const client = await o.clients.connect({
      rpcUrl: o.rpcUrl,
      chainId: o.chainId,
      pollingIntervalMs: o.pollingIntervalMs,
    });
    const read = <T>(functionName: 'name' | 'version' | 'decimals') =>
      client.read(functionName, () =>
        client.publicClient.readContract({ address: o.asset, abi: testTokenAbi, functionName }),
      ) as Promise<T>;
    const [name, version, decimals] = await Promise.all([
      o.name ?? read<string>('name'),
      o.version ?? read<string>('version'),
      read<number>('decimals'),
    ]);
    const domain = { name, version, chainId: client.chainId, verifyingContract: o.asset };
    return new GatewayToken(client, o.asset, domain, decimals);
  }

  balanceOf(owner: Address): Promise<bigint> {
    return this.client.read('balanceOf', () =>
      this.client.publicClient.readContract({
        address: this.asset,
        abi: testTokenAbi,
        functionName: 'balanceOf',
        args: [owner],
      }),
    );
  }

  authorizationState(authorizer: Address, nonce: Hex): Promise<boolean> {
    return this.client.read('authorizationState', () =>
      this.client.publicClient.readContract({
        address: this.asset,
        abi: testTokenAbi,
        functionName: 'authorizationState',
        args: [authorizer, nonce],
      }),
    );
  }

  /**
   * The transaction that used the authorization (a settlement sent before a crash), searched in
   * the last USED_IN_BLOCKS blocks: public RPCs bound log ranges, and a settlement is recent.
   */
  async usedIn(authorizer: Address, nonce: Hex): Promise<Hash | undefined> {
    const logs = await this.client.read('AuthorizationUsed', async () => {
      const latest = await this.client.publicClient.getBlockNumber();
      return this.client.publicClient.getContractEvents({
        address: this.asset,
        abi: testTokenAbi,
        eventName: 'AuthorizationUsed',
        args: { authorizer, nonce },
        fromBlock: latest > USED_IN_BLOCKS ? latest - USED_IN_BLOCKS : 0n,
        toBlock: latest,
      });
    });
    return logs[0]?.transactionHash ?? undefined;
  }

  /** Submits the authorization and waits for its receipt; a ChainError when it fails. */
  async transferWithAuthorization(a: Authorization, signature: Hex): Promise<Hash> {
    const { r, s, v, yParity } = parseSignature(signature);
    const receipt = await this.client.submit('transferWithAuthorization', () =>
      this.client.walletClient.writeContract({
        address: this.asset,
        abi: testTokenAbi,
        functionName: 'transferWithAuthorization',
        args: [
          a.from,
          a.to,
          a.value,
          a.validAfter,
          a.validBefore,
          a.nonce,
          Number(v ?? 27n + BigInt(yParity)),
          r,
          s,
        ],
      }),
    );
    return receipt.transactionHash;
  }
}
