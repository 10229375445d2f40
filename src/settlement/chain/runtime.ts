/**
 * A chain the engine settles on, connected: what to connect to (`ChainSpec`, from config), and
 * the clients once connected (`ChainRuntime`). `connectChain` makes the RPC calls: chain id, the
 * registry's TokenNetwork for the token (the only one to trust), the token's decimals.
 */
import type { Address, Hex } from 'viem';
import { testTokenAbi } from './abi.js';
import type { ChainClient } from './chain-client.js';
import type { ChainClients } from './chain-clients.js';
import { TokenNetworkClient } from './token-network.js';

export interface ChainSpec {
  readonly name: string;
  /** Undefined: whatever the RPC serves (only `settlementInfra.rpcUrl` without a preset). */
  readonly chainId: number | undefined;
  readonly rpcUrl: string;
  readonly tokenAddress: Address;
  readonly registryAddress: Address;
}

export interface ChainRuntime {
  readonly name: string;
  readonly chainId: number;
  readonly client: ChainClient;
  readonly network: TokenNetworkClient;
  readonly token: Address;
  readonly decimals: number;
}

/**
 * Connects to one chain: its id, the registry's TokenNetwork for the token, the decimals. The
 * chain client comes from `clients` (the node's one per chain, shared with its gateway).
 */
export async function connectChain(
  spec: ChainSpec,
  clients: ChainClients,
  pollingIntervalMs: number,
): Promise<ChainRuntime> {
  const client = await clients.connect({
    rpcUrl: spec.rpcUrl,
    chainId: spec.chainId,
    name: spec.name,
    pollingIntervalMs,
  });
  const network = await TokenNetworkClient.fromRegistry(client, spec.registryAddress, spec.tokenAddress);
  const decimals = await client.read('decimals', () =>
    client.publicClient.readContract({
      address: spec.tokenAddress,
      abi: testTokenAbi,
      functionName: 'decimals',
    }),
  );
  return { name: spec.name, chainId: client.chainId, client, network, token: spec.tokenAddress, decimals };
}

/** Both signatures of a CooperativeSettle (channels/channel-store.ts `CooperativeClose`). */
export interface CoSignedClose {
  readonly amount: bigint;
  readonly senderSignature: Hex;
  readonly receiverSignature: Hex;
}

/** Submits a co-signed close: either participant may, while the channel is open or closing. */
export async function submitCooperativeClose(
  chain: ChainRuntime,
  channelId: Hex,
  agreed: CoSignedClose,
): Promise<void> {
  await chain.network.cooperativeSettle(
    channelId,
    agreed.amount,
    agreed.senderSignature,
    agreed.receiverSignature,
  );
}
