/**
 * Whether a node settles, and with what (DESIGN §7): `settlementSpec` decides from config alone
 * (the resolved chains of chain/networks.ts with their token and registry, the thresholds, the
 * deposits, the intervals) and lists every missing part at once. No RPC call here: connecting is
 * chain/runtime.ts.
 */
import type { Address } from 'viem';
import { type KeyBackend, missingKeyBackendFields, type ResolvedConfig } from '../../config/index.js';
import { type ConfigIssue, ConfigurationError } from '../../utils/errors.js';
import { resolveChains } from '../chain/networks.js';
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
}

export const SETTLEMENT_DEFAULTS = Object.freeze({
  pollingIntervalMs: 30_000,
  challengePeriodSeconds: 86_400,
  minChallengePeriodSeconds: 3_600,
  watchIntervalMs: 15_000,
  chainPollingIntervalMs: 1_000,
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
  if (kms) {
    // What the chosen backend itself needs, before the chain: `keyBackend: aws-kms` alone
    // should be answered with the key's fields.
    const backend = config.security?.keyBackend as KeyBackend;
    for (const field of missingKeyBackendFields(backend, config)) {
      issues.push({
        path: field.path,
        message: `key backend ${backend} needs the ${field.label} (${field.env})`,
      });
    }
  }
  if (!hasKey && !kms) {
    issues.push({
      path: 'settlementInfra.privateKey',
      message:
        'settlement needs a key: set EVM_PRIVATE_KEY or settlementInfra.mnemonic (or SETTLEMENT_ENABLED=false)',
    });
  }
  const chains: ChainSpec[] = [];
  const resolved = resolveChains(config);
  const named = resolved.map((c) => ({
    name: c.name,
    chainId: c.chainId as number | undefined,
    rpcUrl: c.rpcUrl,
  }));
  if (named.length === 0 && infra?.rpcUrl !== undefined)
    named.push({ name: 'base', chainId: undefined, rpcUrl: infra.rpcUrl });
  if (named.length === 0) {
    issues.push({
      path: 'settlementInfra.rpcUrl',
      message: 'settlement needs a chain: set BASE_L2_RPC_URL, NETWORK_MODE or a blockchain entry',
    });
  }
  for (const chain of named) {
    const entry = config.blockchain?.[chain.name];
    const fallback = chain.name === 'base' || named.length === 1;
    const tokenAddress = entry?.tokenAddress ?? (fallback ? infra?.tokenAddress : undefined);
    const registryAddress = entry?.registryAddress ?? (fallback ? infra?.registryAddress : undefined);
    const at = entry === undefined ? 'settlementInfra' : `blockchain.${chain.name}`;
    if (tokenAddress === undefined)
      issues.push({
        path: `${at}.tokenAddress`,
        message: `chain ${chain.name} needs a token (M2M_TOKEN_ADDRESS)`,
      });
    if (registryAddress === undefined) {
      issues.push({
        path: `${at}.registryAddress`,
        message: `chain ${chain.name} needs a TokenNetworkRegistry (TOKEN_NETWORK_REGISTRY)`,
      });
    }
    if (tokenAddress !== undefined && registryAddress !== undefined)
      chains.push({
        ...chain,
        tokenAddress: tokenAddress as Address,
        registryAddress: registryAddress as Address,
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
  };
}
