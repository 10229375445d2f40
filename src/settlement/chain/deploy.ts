/**
 * `connector contracts deploy`: the registry, the token's TokenNetwork, and on a dev chain a
 * TestToken when no token is given (a token anyone can mint must never reach a real chain).
 */
import type { Address } from 'viem';
import type { Signer } from '../../keys/signer.js';
import { ConnectorError } from '../../utils/errors.js';
import { testTokenAbi } from './abi.js';
import { contractBytecode } from './artifacts.js';
import { ChainClient } from './chain-client.js';
import { type ChallengePeriodBounds, TokenNetworkClient } from './token-network.js';

/** One hour to react to a sender's close; at most 30 days of locked deposit. */
export const DEFAULT_CHALLENGE_PERIOD_BOUNDS: ChallengePeriodBounds = Object.freeze({
  challengePeriodMinSeconds: 3_600,
  challengePeriodMaxSeconds: 2_592_000,
});

export interface TestTokenSpec {
  readonly name: string;
  readonly symbol: string;
  readonly decimals: number;
}

export const DEFAULT_TEST_TOKEN: TestTokenSpec = Object.freeze({
  name: 'Test Token',
  symbol: 'TEST',
  decimals: 18,
});

export interface DeployOptions {
  readonly rpcUrl: string;
  readonly signer: Signer;
  /** The ERC-20 to create a TokenNetwork for; a TestToken is deployed without one (dev chains only). */
  readonly token?: Address | undefined;
  /** When given, the RPC must serve this chain. */
  readonly chainId?: number | undefined;
  readonly bounds?: ChallengePeriodBounds | undefined;
  readonly testToken?: TestTokenSpec | undefined;
  readonly pollingIntervalMs?: number | undefined;
}

export interface DeployedContracts {
  readonly chainId: number;
  readonly deployer: Address;
  readonly registry: Address;
  readonly token: Address;
  readonly tokenNetwork: Address;
  /** True when `token` is a TestToken deployed here. */
  readonly testToken: boolean;
  readonly challengePeriodMinSeconds: number;
  readonly challengePeriodMaxSeconds: number;
}

export async function deployContracts(options: DeployOptions): Promise<DeployedContracts> {
  const client = await ChainClient.connect({
    rpcUrl: options.rpcUrl,
    chainId: options.chainId,
    signer: options.signer,
    pollingIntervalMs: options.pollingIntervalMs,
  });
  const bounds = options.bounds ?? DEFAULT_CHALLENGE_PERIOD_BOUNDS;
  let token = options.token;
  if (token === undefined) {
    if (!(await client.isDevChain())) {
      throw new ConnectorError(
        'ERR_INVALID_ARGUMENT',
        `chain ${client.chainId} is not a dev chain: pass the ERC-20 to use (--token); a TestToken is for dev chains only`,
      );
    }
    const spec = options.testToken ?? DEFAULT_TEST_TOKEN;
    token = await client.deploy('deploy TestToken', testTokenAbi, contractBytecode('TestToken'), [
      spec.name,
      spec.symbol,
      spec.decimals,
    ]);
  }
  const registry = await TokenNetworkClient.deployRegistry(client, bounds);
  const network = await TokenNetworkClient.createTokenNetwork(client, registry, token);
  return {
    chainId: client.chainId,
    deployer: client.address,
    registry,
    token,
    tokenNetwork: network.address,
    testToken: options.token === undefined,
    challengePeriodMinSeconds: bounds.challengePeriodMinSeconds,
    challengePeriodMaxSeconds: bounds.challengePeriodMaxSeconds,
  };
}
