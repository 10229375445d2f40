/**
 * The start's check that each chain's RPC serves the chain id the config names (DESIGN §7,
 * Chains). A mismatch means the URL points at another network (a testnet URL in a mainnet
 * config, a typo'd preset): nothing there is ours to sign, so the start stops. An RPC that does
 * not answer in time does not stop it: connecting is retried in the background as for any
 * outage, and the connection itself refuses a wrong chain (chain-client.ts).
 */
import { createPublicClient, http } from 'viem';
import { redactUrl } from '../../keys/redact.js';
import { ChainError, toChainError } from './errors.js';

export interface ChainIdTarget {
  readonly name: string;
  /** Undefined: nothing to compare (BASE_L2_RPC_URL without a preset); not checked. */
  readonly chainId: number | undefined;
  readonly rpcUrl: string;
}

export type ChainIdCheck =
  | { readonly name: string; readonly outcome: 'match' | 'unchecked' }
  | {
      readonly name: string;
      readonly outcome: 'mismatch';
      readonly configured: number;
      readonly served: number;
    }
  | { readonly name: string; readonly outcome: 'unreachable'; readonly error: ChainError };

/** One `eth_chainId`, no retry, bounded by `timeoutMs`; failures are ChainErrors without the URL's path. */
export async function readChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 0 }) });
  try {
    return await client.getChainId();
  } catch (error) {
    throw toChainError('eth_chainId', error, rpcUrl);
  }
}

async function checkOne(target: ChainIdTarget, timeoutMs: number): Promise<ChainIdCheck> {
  const { name, chainId } = target;
  // Only http(s) is connected today; the connection reports any other scheme.
  if (chainId === undefined || !/^https?:\/\//i.test(target.rpcUrl)) return { name, outcome: 'unchecked' };
  try {
    const served = await readChainId(target.rpcUrl, timeoutMs);
    return served === chainId
      ? { name, outcome: 'match' }
      : { name, outcome: 'mismatch', configured: chainId, served };
  } catch (error) {
    const chainError =
      error instanceof ChainError ? error : toChainError('eth_chainId', error, target.rpcUrl);
    return { name, outcome: 'unreachable', error: chainError };
  }
}

/** Asks every chain's RPC at once; each answer (or silence) is at most `timeoutMs` away. */
export function checkChainIds(targets: readonly ChainIdTarget[], timeoutMs: number): Promise<ChainIdCheck[]> {
  return Promise.all(targets.map((target) => checkOne(target, timeoutMs)));
}

/** The start's error for every mismatch found, naming chain, configured id and served id; else undefined. */
export function wrongChainError(
  targets: readonly ChainIdTarget[],
  checks: readonly ChainIdCheck[],
): ChainError | undefined {
  const lines: string[] = [];
  for (const check of checks) {
    if (check.outcome !== 'mismatch') continue;
    const url = redactUrl(targets.find((t) => t.name === check.name)?.rpcUrl ?? '');
    lines.push(
      `chain "${check.name}" is configured as chain id ${check.configured} but its RPC ${url} serves chain id ${check.served}`,
    );
  }
  if (lines.length === 0) return undefined;
  return new ChainError(
    'wrong-chain',
    'settlement start',
    `${lines.join('; ')}. Fix the RPC URL (blockchain.<name>.rpcUrl, BASE_L2_RPC_URL) or the chain id (blockchain.<name>.chainId, NETWORK_MODE)`,
  );
}
