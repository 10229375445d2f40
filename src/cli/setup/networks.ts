/**
 * The settlement networks the wizard offers, as data: each NETWORK_MODE preset (chains from
 * settlement/chain/networks.ts) and a custom RPC. A preset that comes to know its contracts
 * (token, registry) lists them here and the wizard offers them as defaults.
 */
import { NETWORK_PRESETS, type NetworkMode, type SettlementChain } from '../../settlement/index.js';

export interface SettlementNetwork {
  readonly id: string;
  readonly title: string;
  /** Written as settlementInfra.networkMode; unset for a custom RPC. */
  readonly networkMode?: NetworkMode;
  readonly tokenAddress?: string;
  readonly registryAddress?: string;
}

export const CUSTOM_NETWORK = 'custom';

export const SETTLEMENT_NETWORKS: readonly SettlementNetwork[] = [
  ...(Object.keys(NETWORK_PRESETS) as NetworkMode[]).map((mode) => ({
    id: mode,
    title: `${mode} (NETWORK_MODE=${mode}: ${NETWORK_PRESETS[mode].map((c) => `${c.name} ${c.chainId}`).join(', ')})`,
    networkMode: mode,
  })),
  { id: CUSTOM_NETWORK, title: 'custom RPC (any EVM chain, e.g. a local anvil)' },
];

/** The preset's chains other than base (whose contracts are settlementInfra's): each is asked for. */
export function extraPresetChains(id: string): readonly SettlementChain[] {
  const mode = settlementNetwork(id)?.networkMode;
  return mode === undefined ? [] : NETWORK_PRESETS[mode].filter((c) => c.name !== 'base');
}

export function settlementNetwork(id: string): SettlementNetwork | undefined {
  return SETTLEMENT_NETWORKS.find((n) => n.id === id);
}
