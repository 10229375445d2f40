/**
 * The demo's chain: the project's contracts deployed on anvil (registry, a TestToken and its
 * TokenNetwork) and tokens minted to the nodes that pay. Keys are anvil's public development
 * mnemonic ("test test ... junk"), account 0 deploying, account i+1 for node i: dev chains only.
 */
import type { Address } from 'viem';
import { HdWalletSigner } from '../../keys/index.js';
import { ChainClient, deployContracts, testTokenAbi } from '../../settlement/index.js';

export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const DEMO_CHAIN_ID = 31_337;
export const CHALLENGE_PERIOD_S = 60;
export const POLL_MS = 50;

export const devPath = (index: number): string => `m/44'/60'/0'/0/${index}`;
export const devAddress = (index: number): Address =>
  HdWalletSigner.fromMnemonic(DEV_MNEMONIC, { path: devPath(index) }).address;

export interface DemoChain {
  readonly token: Address;
  readonly registry: Address;
  balanceOf(owner: Address): Promise<bigint>;
}

export async function deployDemoChain(
  rpcUrl: string,
  payers: readonly number[],
  minted: bigint,
): Promise<DemoChain> {
  const deployer = HdWalletSigner.fromMnemonic(DEV_MNEMONIC, { path: devPath(0) });
  const deployed = await deployContracts({
    rpcUrl,
    signer: deployer,
    chainId: DEMO_CHAIN_ID,
    bounds: { challengePeriodMinSeconds: CHALLENGE_PERIOD_S, challengePeriodMaxSeconds: 86_400 },
    pollingIntervalMs: POLL_MS,
  });
  const client = await ChainClient.connect({
    rpcUrl,
    chainId: DEMO_CHAIN_ID,
    signer: deployer,
    pollingIntervalMs: POLL_MS,
  });
  for (const index of payers) {
    await client.submit('mint', () =>
      client.walletClient.writeContract({
        address: deployed.token,
        abi: testTokenAbi,
        functionName: 'mint',
        args: [devAddress(index), minted],
      }),
    );
  }
  return {
    token: deployed.token,
    registry: deployed.registry,
    balanceOf: (owner) =>
      client.publicClient.readContract({
        address: deployed.token,
        abi: testTokenAbi,
        functionName: 'balanceOf',
        args: [owner],
      }),
  };
}
