/**
 * The chains a node settles on (DESIGN §7, Chains): the NETWORK_MODE presets, Base and
 * Arbitrum, merged with the config, which names any other EVM chain too.
 *
 * Explicit config wins, field by field:
 * - rpcUrl: `blockchain.<name>.rpcUrl`, else `settlementInfra.rpcUrl` (BASE_L2_RPC_URL, `base`
 *   only), else the preset's;
 * - chainId: `blockchain.<name>.chainId`, else the preset's;
 * - tokenAddress / registryAddress: `blockchain.<name>.*`, else `settlementInfra.*`
 *   (M2M_TOKEN_ADDRESS, TOKEN_NETWORK_REGISTRY; for `base`, or the only chain), else the
 *   preset's USDC / nothing: no registry is deployed publicly, the operator deploys one.
 * A preset's RPC URL and USDC belong to its chain id: an entry naming another id keeps neither.
 * `enabled: false` drops a chain. Any other name needs rpcUrl and chainId in its entry.
 */
import type { Address } from 'viem';
import type { NETWORK_MODES } from '../../config/schema.js';
import { type ConfigIssue, ConfigurationError } from '../../utils/errors.js';

export type NetworkMode = (typeof NETWORK_MODES)[number];

export interface ChainPreset {
  readonly name: 'base' | 'arbitrum';
  /** The network's own name, for messages: `Base Sepolia`. */
  readonly label: string;
  readonly chainId: number;
  /** The public endpoint: rate-limited, fine to start with, not to run on. */
  readonly rpcUrl: string;
  /** Circle's native USDC (6 decimals). */
  readonly usdc: Address;
}

/**
 * Sources (read 2026-12): chain ids and public RPC URLs from docs.base.org/network-information
 * ("rate limited and not for production systems") and docs.arbitrum.io/chain-info ("Arbitrum
 * public RPC endpoints"); USDC from developers.circle.com/stablecoins/usdc-contract-addresses.
 * test/settlement/networks.test.ts checks the values and their EIP-55 checksums.
 */
export const NETWORK_PRESETS: Readonly<Record<NetworkMode, readonly ChainPreset[]>> = Object.freeze({
  testnet: Object.freeze([
    Object.freeze({
      name: 'base',
      label: 'Base Sepolia',
      chainId: 84532,
      rpcUrl: 'https://sepolia.base.org',
      usdc: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    }),
    Object.freeze({
      name: 'arbitrum',
      label: 'Arbitrum Sepolia',
      chainId: 421614,
      rpcUrl: 'https://sepolia-rollup.arbitrum.io/rpc',
      usdc: '0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d',
    }),
  ]),
  mainnet: Object.freeze([
    Object.freeze({
      name: 'base',
      label: 'Base',
      chainId: 8453,
      rpcUrl: 'https://mainnet.base.org',
      usdc: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    }),
    Object.freeze({
      name: 'arbitrum',
      label: 'Arbitrum One',
      chainId: 42161,
      rpcUrl: 'https://arb1.arbitrum.io/rpc',
      usdc: '0xaf88d065e77c8cC2239327C5EDb3A432268e5831',
    }),
  ]),
});

export interface SettlementChain {
  /** The config key: `base`, `arbitrum` or any other. */
  readonly name: string;
  readonly chainId: number;
  readonly rpcUrl: string;
  /** Set when the chain is a preset's (same name and chain id). */
  readonly preset?: ChainPreset | undefined;
  /** Undefined when neither config nor preset names one. */
  readonly tokenAddress?: Address | undefined;
  readonly registryAddress?: Address | undefined;
}

interface ChainEntry {
  readonly enabled?: boolean | undefined;
  readonly rpcUrl?: string | undefined;
  readonly chainId?: number | undefined;
  readonly tokenAddress?: string | undefined;
  readonly registryAddress?: string | undefined;
}

/** The parts of a ConnectorConfig (or ResolvedConfig) that name chains. */
export interface NetworkConfig {
  readonly settlementInfra?:
    | {
        readonly networkMode?: NetworkMode | undefined;
        readonly rpcUrl?: string | undefined;
        readonly tokenAddress?: string | undefined;
        readonly registryAddress?: string | undefined;
      }
    | undefined;
  readonly blockchain?: { readonly [name: string]: ChainEntry | undefined } | undefined;
}

const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/** What an entry starts from: the mode's preset of its name, and the shared RPC of `base`. */
interface Defaults {
  readonly mode: NetworkMode | undefined;
  readonly preset: ChainPreset | undefined;
  /** `settlementInfra.rpcUrl` (BASE_L2_RPC_URL) for `base`, else undefined. */
  readonly rpcUrl: string | undefined;
}

/** One chain from its entry over its defaults; undefined after an issue. */
function mergeEntry(
  name: string,
  entry: ChainEntry,
  defaults: Defaults,
  issues: ConfigIssue[],
): SettlementChain | undefined {
  const { preset } = defaults;
  const chainId = entry.chainId ?? preset?.chainId;
  const own = preset !== undefined && chainId === preset.chainId ? preset : undefined;
  const rpcUrl = entry.rpcUrl ?? defaults.rpcUrl ?? own?.rpcUrl;
  const at = `blockchain.${name}`;
  const noPreset = `"${name}" has no NETWORK_MODE preset${defaults.mode === undefined ? ' (NETWORK_MODE is not set)' : ''}`;
  if (chainId === undefined) issues.push({ path: `${at}.chainId`, message: `is required: ${noPreset}` });
  if (rpcUrl === undefined) {
    const why =
      preset === undefined
        ? noPreset
        : `chain ${chainId} is not the ${preset.label} preset's (${preset.chainId}), so its RPC URL does not apply`;
    issues.push({ path: `${at}.rpcUrl`, message: `is required: ${why}` });
  }
  if (chainId === undefined || rpcUrl === undefined) return undefined;
  return {
    name,
    chainId,
    rpcUrl,
    preset: own,
    tokenAddress: (entry.tokenAddress ?? own?.usdc) as Address | undefined,
    registryAddress: entry.registryAddress as Address | undefined,
  };
}

/** `settlementInfra`'s token and registry are those of `base`, or of the only chain. */
function withSharedContracts(
  chains: Map<string, SettlementChain>,
  infra: NetworkConfig['settlementInfra'],
  entries: ReadonlyMap<string, ChainEntry>,
): void {
  const name = chains.size === 1 ? [...chains.keys()][0] : 'base';
  const chain = name === undefined ? undefined : chains.get(name);
  if (chain === undefined) return;
  const entry = entries.get(chain.name);
  chains.set(chain.name, {
    ...chain,
    tokenAddress: (entry?.tokenAddress ?? infra?.tokenAddress ?? chain.tokenAddress) as Address | undefined,
    registryAddress: (entry?.registryAddress ?? infra?.registryAddress) as Address | undefined,
  });
}

/** Presets first (base, arbitrum), then other configured chains by name. */
export function resolveChains(config: NetworkConfig): SettlementChain[] {
  const infra = config.settlementInfra;
  const mode = infra?.networkMode;
  const presets = new Map<string, ChainPreset>(
    (mode === undefined ? [] : NETWORK_PRESETS[mode]).map((p) => [p.name, p]),
  );
  const sharedRpc = (name: string) => (name === 'base' ? infra?.rpcUrl : undefined);
  const chains = new Map<string, SettlementChain>();
  for (const preset of presets.values()) {
    const rpcUrl = sharedRpc(preset.name) ?? preset.rpcUrl;
    chains.set(preset.name, {
      name: preset.name,
      chainId: preset.chainId,
      rpcUrl,
      preset,
      tokenAddress: preset.usdc,
    });
  }
  const issues: ConfigIssue[] = [];
  const entries = new Map<string, ChainEntry>();
  for (const [name, entry] of Object.entries(config.blockchain ?? {}).sort(byName)) {
    if (entry === undefined) continue;
    if (entry.enabled === false) {
      chains.delete(name);
      continue;
    }
    entries.set(name, entry);
    const defaults = { mode, preset: presets.get(name), rpcUrl: sharedRpc(name) };
    const chain = mergeEntry(name, entry, defaults, issues);
    if (chain !== undefined) chains.set(name, chain);
  }
  withSharedContracts(chains, infra, entries);

  const ids = new Map<number, string>();
  for (const chain of chains.values()) {
    const other = ids.get(chain.chainId);
    if (other !== undefined)
      issues.push({
        path: `blockchain.${chain.name}.chainId`,
        message: `chain ${chain.chainId} is also "${other}"`,
      });
    ids.set(chain.chainId, chain.name);
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
  return [...chains.values()].map((chain) => Object.freeze({ ...chain }));
}

export function chainById(chains: readonly SettlementChain[], chainId: number): SettlementChain | undefined {
  return chains.find((chain) => chain.chainId === chainId);
}

/** Local dev chains: anvil and Hardhat (31337), Ganache and geth --dev (1337). */
export const DEV_CHAIN_IDS: readonly number[] = Object.freeze([31337, 1337]);

/**
 * Chains whose tokens and ETH are worth nothing: the dev chains and the testnet presets. What
 * `connector contracts fund` agrees to fund; any other id (a mainnet, an unknown chain) is refused.
 */
export function isTestChainId(chainId: number): boolean {
  return DEV_CHAIN_IDS.includes(chainId) || NETWORK_PRESETS.testnet.some((p) => p.chainId === chainId);
}

/** The ids `isTestChainId` accepts, for messages. */
export function testChainIds(): number[] {
  return [...DEV_CHAIN_IDS, ...NETWORK_PRESETS.testnet.map((p) => p.chainId)];
}
