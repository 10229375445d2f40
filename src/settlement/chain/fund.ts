/**
 * `connector contracts fund`: gives an address test tokens and ETH on a test chain, from the
 * funder's key. Tokens are minted when the token lets the funder mint (the TestToken of a dev
 * deployment), else transferred from the funder's balance; ETH is transferred. A chain id that
 * is not known to be a test chain (`isTestChainId`) is refused before anything is sent: the
 * command must never move value on a mainnet.
 */
import type { Address, Hash } from 'viem';
import type { Signer } from '../../keys/signer.js';
import { ConnectorError } from '../../utils/errors.js';
import { testTokenAbi } from './abi.js';
import { ChainClient } from './chain-client.js';
import { isTestChainId, testChainIds } from './networks.js';

export interface FundOptions {
  readonly rpcUrl: string;
  readonly signer: Signer;
  readonly to: Address;
  /** The ERC-20 to give; with `tokenAmount` (base units). */
  readonly token?: Address | undefined;
  readonly tokenAmount?: bigint | undefined;
  /** Wei to send. */
  readonly wei?: bigint | undefined;
  /** When given, the RPC must serve this chain. */
  readonly chainId?: number | undefined;
  readonly pollingIntervalMs?: number | undefined;
}

export interface FundResult {
  readonly chainId: number;
  readonly funder: Address;
  readonly to: Address;
  readonly token?: {
    address: Address;
    amount: bigint;
    how: 'mint' | 'transfer';
    txHash: Hash;
    balance: bigint;
  };
  readonly eth?: { wei: bigint; txHash: Hash; balance: bigint };
}

export async function fundAddress(options: FundOptions): Promise<FundResult> {
  const client = await ChainClient.connect({
    rpcUrl: options.rpcUrl,
    chainId: options.chainId,
    signer: options.signer,
    pollingIntervalMs: options.pollingIntervalMs,
  });
  if (!isTestChainId(client.chainId))
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      `refusing to fund on chain ${client.chainId}: not a known test chain (${testChainIds().join(', ')})`,
    );
  const { to } = options;
  let token: FundResult['token'];
  if (options.token !== undefined && options.tokenAmount !== undefined && options.tokenAmount > 0n)
    token = await giveTokens(client, options.token, to, options.tokenAmount);
  let eth: FundResult['eth'];
  if (options.wei !== undefined && options.wei > 0n) {
    const wei = options.wei;
    const receipt = await client.submit('send ETH', () =>
      client.walletClient.sendTransaction({ to, value: wei }),
    );
    const balance = await client.read('getBalance', () => client.publicClient.getBalance({ address: to }));
    eth = { wei, txHash: receipt.transactionHash, balance };
  }
  return {
    chainId: client.chainId,
    funder: client.address,
    to,
    ...(token ? { token } : {}),
    ...(eth ? { eth } : {}),
  };
}

/** Mints when the token lets the funder (a simulated mint succeeds), else transfers. */
async function giveTokens(client: ChainClient, token: Address, to: Address, amount: bigint) {
  const canMint = await client.publicClient
    .simulateContract({
      address: token,
      abi: testTokenAbi,
      functionName: 'mint',
      args: [to, amount],
      account: client.address,
    })
    .then(
      () => true,
      () => false,
    );
  const how = canMint ? ('mint' as const) : ('transfer' as const);
  const receipt = await client.submit(how, () =>
    canMint
      ? client.walletClient.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: 'mint',
          args: [to, amount],
        })
      : client.walletClient.writeContract({
          address: token,
          abi: testTokenAbi,
          functionName: 'transfer',
          args: [to, amount],
        }),
  );
  const balance = await client.read('balanceOf', () =>
    client.publicClient.readContract({
      address: token,
      abi: testTokenAbi,
      functionName: 'balanceOf',
      args: [to],
    }),
  );
  return { address: token, amount, how, txHash: receipt.transactionHash, balance };
}
