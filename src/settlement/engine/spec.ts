/**
 * Whether a node settles, and with what (DESIGN §7): `settlementSpec` decides from config alone
 * (the resolved chains of chain/networks.ts with their token and registry, the thresholds, the
 * deposits, the intervals) and lists every missing part at once. No RPC call here: connecting is
 * chain/runtime.ts.
 */
import type { Address } from 'viem';
import type { ResolvedConfig } from '../../config/index.js';
import { type ConfigIssue, ConfigurationError } from '../../utils/errors.js';
import { type ChainPreset, resolveChains } from '../chain/networks.js';
import type { ChainSpec } from '../chain/runtime.js';

export interface SettlementSpec {
  readonly chains: readonly ChainSpec[];
  /** The chain peers settle on unless they name another. */
  readonly defaultChain: string;
  readonly thresholdIlp: bigint | undefined;
  readonly pollingIntervalMs: number;
  readonly challengePeriodSeconds: number;
  readonly initialDeposit: bigint;
  /** Top up once a channel's room falls below this (0: only when a claim needs it). */
  readonly topUpWatermark: bigint;
  readonly redeemMinimum: bigint;
  /** Claims are taken only on channels whose challenge period is at least this long. */
  readonly minChallengePeriodSeconds: number;
  readonly watchIntervalMs: number;
  readonly chainPollingIntervalMs: number;
  /** How long the start waits for each chain's `eth_chainId` (a mismatch stops it). */
  readonly chainCheckTimeoutMs: number;
}

export const SETTLEMENT_DEFAULTS = Object.freeze({
  pollingIntervalMs: 30_000,
  challengePeriodSeconds: 86_400,
  minChallengePeriodSeconds: 3_600,
  watchIntervalMs: 15_000,
  chainPollingIntervalMs: 1_000,
  chainCheckTimeoutMs: 5_000,
});

/**
 * Undefined when settlement is off: disabled (`SETTLEMENT_ENABLED=false`,
 * `settlementInfra.enabled: false`) or nothing about chains or keys configured. A config that
 * asks for settlement but lacks a part of it is an error listing every missing part.
 */
export function settlementSpec(config: ResolvedConfig): SettlementSpec | undefined {
  const infra = config.settlementInfra;
  if (config.settlement?.enabled === false || infra?.enabled === false) return undefined;
  const hasKey = infra?.privateKey !== undefined || infra?.mnemonic !== undefined;
  const kms = config.security?.keyBackend !== undefined && config.security.keyBackend !== 'env';
  const hasChain =
    infra?.rpcUrl !== undefined || infra?.networkMode !== undefined || config.blockchain !== undefined;
  const hasContracts = infra?.tokenAddress !== undefined || infra?.registryAddress !== undefined;
  if (!hasKey && !kms && !hasChain && !hasContracts) return undefined;

  const issues: ConfigIssue[] = [];
  // What a KMS backend itself needs is a config check (config/kms.ts), reported before this.
  if (!hasKey && !kms) {
    issues.push({
      path: 'settlementInfra.privateKey',
      message:
        'settlement needs a key: set EVM_PRIVATE_KEY or settlementInfra.mnemonic (or SETTLEMENT_ENABLED=false)',
    });
  }
  const named = namedChains(config, issues);
  const chains: ChainSpec[] = [];
  for (const chain of named) {
    const missing = missingContracts(config, chain, named.length);
    issues.push(...missing);
    const { name, chainId, rpcUrl, tokenAddress, registryAddress } = chain;
    if (tokenAddress !== undefined && registryAddress !== undefined)
      chains.push({ name, chainId, rpcUrl, tokenAddress, registryAddress });
  }
  const mainnetEnvKey = config.environment === 'production' && infra?.networkMode === 'mainnet' && !kms;
  if (mainnetEnvKey && config.security?.allowEnvKeyOnMainnet !== true) {
    issues.push({
      path: 'security.allowEnvKeyOnMainnet',
      message:
        'production on NETWORK_MODE=mainnet would sign for real money with a key held in this process (KEY_BACKEND=env): use KEY_BACKEND=aws-kms, gcp-kms or azure-kv, or set this to true to accept that risk',
    });
  }
  const defaultChain =
    infra?.chain ?? (named.some((c) => c.name === 'base') ? 'base' : named[0]?.name) ?? 'base';
  if (named.length > 0 && !named.some((c) => c.name === defaultChain))
    issues.push({ path: 'settlementInfra.chain', message: `no configured chain is named "${defaultChain}"` });
  config.peers.forEach((peer, i) => {
    const chain = peer.settlementChain;
    if (chain !== undefined && !named.some((c) => c.name === chain))
      issues.push({ path: `peers.${i}.settlementChain`, message: `no configured chain is named "${chain}"` });
  });
  if (config.settlement?.ledgerDurability === 'snapshot') {
    // A claim's ledger move must be as durable as the claim: with snapshots only, a kill would
    // roll the ledger back behind a claim already signed or accepted.
    issues.push({
      path: 'settlement.ledgerDurability',
      message: 'settlement needs a journaled ledger (fsync or write), not snapshot',
    });
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
  return {
    chains,
    defaultChain,
    thresholdIlp: config.settlement?.threshold,
    pollingIntervalMs: config.settlement?.pollingIntervalMs ?? SETTLEMENT_DEFAULTS.pollingIntervalMs,
    challengePeriodSeconds: infra?.challengePeriodSeconds ?? SETTLEMENT_DEFAULTS.challengePeriodSeconds,
    initialDeposit: infra?.initialDeposit ?? 0n,
    topUpWatermark: infra?.topUpWatermark ?? 0n,
    redeemMinimum: infra?.redeemMinimum ?? 1n,
    minChallengePeriodSeconds:
      infra?.minChallengePeriodSeconds ?? SETTLEMENT_DEFAULTS.minChallengePeriodSeconds,
    watchIntervalMs: infra?.watchIntervalMs ?? SETTLEMENT_DEFAULTS.watchIntervalMs,
    chainPollingIntervalMs: infra?.chainPollingIntervalMs ?? SETTLEMENT_DEFAULTS.chainPollingIntervalMs,
    chainCheckTimeoutMs: infra?.chainCheckTimeoutMs ?? SETTLEMENT_DEFAULTS.chainCheckTimeoutMs,
  };
}

/** A chain as configured: its contracts may be missing (reported), its id unknown (no preset). */
interface NamedChain {
  readonly name: string;
  readonly chainId: number | undefined;
  readonly rpcUrl: string;
  readonly tokenAddress?: Address | undefined;
  readonly registryAddress?: Address | undefined;
  readonly preset?: ChainPreset | undefined;
}

/** The resolved chains; or, with BASE_L2_RPC_URL alone, `base` on whatever chain the RPC serves. */
function namedChains(config: ResolvedConfig, issues: ConfigIssue[]): NamedChain[] {
  let resolved: NamedChain[];
  try {
    resolved = resolveChains(config);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    issues.push(...error.issues);
    return [];
  }
  const infra = config.settlementInfra;
  if (resolved.length > 0) return resolved;
  if (infra?.rpcUrl === undefined) {
    issues.push({
      path: 'settlementInfra.rpcUrl',
      message: 'settlement needs a chain: set BASE_L2_RPC_URL, NETWORK_MODE or a blockchain entry',
    });
    return [];
  }
  return [
    {
      name: 'base',
      chainId: undefined,
      rpcUrl: infra.rpcUrl,
      tokenAddress: infra.tokenAddress as Address | undefined,
      registryAddress: infra.registryAddress as Address | undefined,
    },
  ];
}

/** A chain without a token or a registry, said where to set it (and, for a preset, how to get one). */
function missingContracts(config: ResolvedConfig, chain: NamedChain, chainCount: number): ConfigIssue[] {
  const shared = chain.name === 'base' || chainCount === 1;
  const at =
    config.blockchain?.[chain.name] === undefined && shared ? 'settlementInfra' : `blockchain.${chain.name}`;
  const issues: ConfigIssue[] = [];
  if (chain.tokenAddress === undefined)
    issues.push({
      path: `${at}.tokenAddress`,
      message: `chain ${chain.name} needs a token${shared ? ' (M2M_TOKEN_ADDRESS)' : ''}`,
    });
  if (chain.registryAddress === undefined) {
    const env = shared ? ' (TOKEN_NETWORK_REGISTRY)' : '';
    const preset = chain.preset;
    const message =
      preset === undefined
        ? `chain ${chain.name} needs a TokenNetworkRegistry${env}`
        : `chain ${chain.name} (${preset.label}, ${preset.chainId}) has no public TokenNetworkRegistry: deploy one with \`connector contracts deploy --rpc <RPC URL> --chain-id ${preset.chainId} --token ${chain.tokenAddress ?? '<token>'}\` and set ${at}.registryAddress${env}`;
    issues.push({ path: `${at}.registryAddress`, message });
  }
  return issues;
}
