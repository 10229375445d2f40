export { blockExplorerUrl } from './chain-explorers.js';
export type { ExplorerOptions, ExplorerSettings } from './explorer.js';
export { Explorer } from './explorer.js';
export type { ExplorerIdentity, ExplorerNode, ExplorerPeer, SettlementAddress } from './explorer-node.js';
export type { ExplorerStats, RecorderOptions } from './recorder.js';
export { EventRecorder } from './recorder.js';
export type { EventPage, PruneOptions, StoreHealth, StoreOptions } from './store.js';
export { EventStore } from './store.js';
export type { EventFilters, PageRequest } from './store-sql.js';
