/**
 * The chains a node settles on (DESIGN §7, Chains): the NETWORK_MODE presets, Base and
 * Arbitrum, merged with the `blockchain` config, which names any other EVM chain too.
 *
 * Precedence, per chain name: a `blockchain.<name>` entry replaces the preset of that name
 * whole (rpcUrl and chainId are required there); otherwise `settlementInfra.rpcUrl`
 * (BASE_L2_RPC_URL) replaces the preset `base` RPC; `enabled: false` drops the chain.
 * The presets' RPC URLs are the public, rate-limited endpoints: fine to start, not to run on.
 */
import type { NETWORK_MODES } from '../../config/schema.js';
import { ConfigurationError } from '../../utils/errors.js';

export type NetworkMode = (typeof NETWORK_MODES)[number];

export interface SettlementChain {
  /** The config key: `base`, `arbitrum` or any other. */
  readonly name: string;
  readonly chainId: number;
  readonly rpcUrl: string;
}

export const NETWORK_PRESETS: Readonly<Record<NetworkMode, readonly SettlementChain[]>> = Object.freeze({
  testnet: Object.freeze([
    { name: 'base', chainId: 84532, rpcUrl: 'https://sepolia.base.org' },
    { name: 'arbitrum', chainId: 421614, rpcUrl: 'https://sepolia-rollup.arbitrum.io/rpc' },
  ]),
  mainnet: Object.freeze([
    { name: 'base', chainId: 8453, rpcUrl: 'https://mainnet.base.org' },
    { name: 'arbitrum', chainId: 42161, rpcUrl: 'https://arb1.arbitrum.io/rpc' },
  ]),
});

interface ChainEntry {
  readonly enabled?: boolean | undefined;
  readonly rpcUrl: string;
  readonly chainId: number;
}

/** The parts of a ConnectorConfig (or ResolvedConfig) that name chains. */
export interface NetworkConfig {
  readonly settlementInfra?:
    | { readonly networkMode?: NetworkMode | undefined; readonly rpcUrl?: string | undefined }
    | undefined;
  readonly blockchain?: { readonly [name: string]: ChainEntry | undefined } | undefined;
}

/** Presets first (base, arbitrum), then other configured chains by name. */
export function resolveChains(config: NetworkConfig): SettlementChain[] {
  const mode = config.settlementInfra?.networkMode;
  const chains = new Map<string, SettlementChain>();
  for (const preset of mode === undefined ? [] : NETWORK_PRESETS[mode]) chains.set(preset.name, preset);
  const baseRpc = config.settlementInfra?.rpcUrl;
  const base = chains.get('base');
  if (base !== undefined && baseRpc !== undefined) chains.set('base', { ...base, rpcUrl: baseRpc });

  const entries = Object.entries(config.blockchain ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, entry] of entries) {
    if (entry === undefined) continue;
    if (entry.enabled === false) chains.delete(name);
    else chains.set(name, { name, chainId: entry.chainId, rpcUrl: entry.rpcUrl });
  }

  const byId = new Map<number, string>();
  const issues = [];
  for (const chain of chains.values()) {
    const other = byId.get(chain.chainId);
    if (other !== undefined) {
      issues.push({
        path: `blockchain.${chain.name}.chainId`,
        message: `chain ${chain.chainId} is also "${other}"`,
      });
    }
    byId.set(chain.chainId, chain.name);
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
  return [...chains.values()].map((chain) => Object.freeze({ ...chain }));
}

export function chainById(chains: readonly SettlementChain[], chainId: number): SettlementChain | undefined {
  return chains.find((chain) => chain.chainId === chainId);
}
