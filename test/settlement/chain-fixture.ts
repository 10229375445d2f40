/**
 * A settlement chain for node tests: anvil on a free port with the given chain id, the contracts
 * deployed (registry, TestToken, its TokenNetwork), and tokens minted to the dev accounts that
 * the nodes use. `settlementConfig` gives a node's settlement sections for it.
 */
import type { Address } from 'viem';
import type { ConnectorConfig, ConnectorNode, SettlementEvent } from '../../src/index.js';
import { EnvKeySigner } from '../../src/keys/index.js';
import {
  ChainClient,
  deployContracts,
  TokenNetworkClient,
  testTokenAbi,
} from '../../src/settlement/index.js';
import { ANVIL_KEYS, type Anvil, startAnvil } from './anvil.js';

export const POLL_MS = 20;
export const CHALLENGE_PERIOD_S = 60;
/** Asset scale 9 (the config default), token decimals 18: one ILP unit is 10^9 token base units. */
export const FACTOR = 10n ** 9n;

export interface TestChain {
  readonly anvil: Anvil;
  readonly chainId: number;
  readonly token: Address;
  readonly registry: Address;
  readonly tokenNetwork: Address;
  balanceOf(owner: Address): Promise<bigint>;
  /** Moves the chain's clock forward and mines a block. */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Node keys: ANVIL_KEYS[1..3] (index 0 deploys). Each gets `minted` tokens. `challengeMinSeconds`
 * lowers the contract's shortest challenge period (tests that wait one out in real time).
 */
export async function startTestChain(
  chainId: number,
  minted = 10n ** 30n,
  challengeMinSeconds = CHALLENGE_PERIOD_S,
): Promise<TestChain> {
  const anvil = await startAnvil(chainId);
  try {
    const deployer = EnvKeySigner.fromPrivateKey(ANVIL_KEYS[0]);
    const deployed = await deployContracts({
      rpcUrl: anvil.rpcUrl,
      signer: deployer,
      chainId,
      bounds: { challengePeriodMinSeconds: challengeMinSeconds, challengePeriodMaxSeconds: 86_400 },
      pollingIntervalMs: POLL_MS,
    });
    const client = await ChainClient.connect({
      rpcUrl: anvil.rpcUrl,
      chainId,
      signer: deployer,
      pollingIntervalMs: POLL_MS,
    });
    for (const key of ANVIL_KEYS.slice(1)) {
      const to = EnvKeySigner.fromPrivateKey(key).address;
      await client.submit('mint', () =>
        client.walletClient.writeContract({
          address: deployed.token,
          abi: testTokenAbi,
          functionName: 'mint',
          args: [to, minted],
        }),
      );
    }
    return {
      anvil,
      chainId,
      token: deployed.token,
      registry: deployed.registry,
      tokenNetwork: deployed.tokenNetwork,
      balanceOf: (owner) =>
        client.publicClient.readContract({
          address: deployed.token,
          abi: testTokenAbi,
          functionName: 'balanceOf',
          args: [owner],
        }),
      advance: async (seconds) => {
        await anvil.rpc('evm_increaseTime', [seconds]);
        await anvil.rpc('evm_mine', []);
      },
      stop: () => anvil.stop(),
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

export function addressOf(key: string): Address {
  return EnvKeySigner.fromPrivateKey(key).address;
}

/** The settlement sections of a node that settles on `chain` with `key`. */
export function settlementConfig(
  chain: TestChain,
  key: string,
  statePath: string,
  extra: {
    threshold?: bigint;
    redeemMinimum?: bigint;
    pollingIntervalMs?: number;
    watchIntervalMs?: number;
    challengePeriodSeconds?: number;
  } = {},
): Pick<ConnectorConfig, 'settlement' | 'settlementInfra' | 'blockchain'> {
  return {
    settlement: {
      ledgerDurability: 'off',
      statePath,
      ...(extra.threshold === undefined ? {} : { threshold: extra.threshold }),
      pollingIntervalMs: extra.pollingIntervalMs ?? 3_600_000,
    },
    settlementInfra: {
      privateKey: key,
      challengePeriodSeconds: extra.challengePeriodSeconds ?? CHALLENGE_PERIOD_S,
      minChallengePeriodSeconds: extra.challengePeriodSeconds ?? CHALLENGE_PERIOD_S,
      chainPollingIntervalMs: POLL_MS,
      watchIntervalMs: extra.watchIntervalMs ?? 3_600_000,
      ...(extra.redeemMinimum === undefined ? {} : { redeemMinimum: extra.redeemMinimum }),
    },
    blockchain: blockchainOf(chain),
  };
}

/** The `blockchain` section of a node's config on `chain` (as chain `base`). */
export function blockchainOf(chain: TestChain): NonNullable<ConnectorConfig['blockchain']> {
  return {
    base: {
      rpcUrl: chain.anvil.rpcUrl,
      chainId: chain.chainId,
      tokenAddress: chain.token,
      registryAddress: chain.registry,
    },
  };
}

/** A TokenNetwork client of `chain` acting as `key`: to open channels by hand, or to read them. */
export async function tokenNetworkAs(chain: TestChain, key: string): Promise<TokenNetworkClient> {
  const client = await ChainClient.connect({
    rpcUrl: chain.anvil.rpcUrl,
    chainId: chain.chainId,
    signer: EnvKeySigner.fromPrivateKey(key),
    pollingIntervalMs: POLL_MS,
  });
  return new TokenNetworkClient(client, chain.tokenNetwork);
}

type EventOf<T extends SettlementEvent['type']> = Extract<SettlementEvent, { type: T }>;

/** The node's next 'settlement' event of `type` that satisfies `match`. */
export function nextSettlementEvent<T extends SettlementEvent['type']>(
  node: ConnectorNode,
  type: T,
  match: (event: EventOf<T>) => boolean = () => true,
): Promise<EventOf<T>> {
  return new Promise((resolve) => {
    const on = (event: SettlementEvent) => {
      if (event.type !== type || !match(event as EventOf<T>)) return;
      node.off('settlement', on);
      resolve(event as EventOf<T>);
    };
    node.on('settlement', on);
  });
}
