export type { ExplorerStats, RecorderOptions } from './recorder.js';
export { EventRecorder, STATS_SECONDS } from './recorder.js';
export type { RecordedEvent } from './settlement-events.js';
export { fromSettlementEvent } from './settlement-events.js';
