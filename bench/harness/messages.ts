/**
 * IPC messages between the orchestrator (bench/run.ts) and the processes it forks. Readiness is
 * always a message, never a sleep: a node says it listens and which peers authenticated; a load
 * client says it authenticated and when its measurement window starts and ends.
 */

/** Measured by a load client over its measurement window. */
export interface LoadResult {
  fulfilled: number;
  rejected: number;
  /** BTP Error frames and replies without an ILP packet. */
  errors: number;
  /** Replies outside the measured window (warm-up, drain) that were not fulfills. */
  unmeasuredFailures: number;
  measuredMs: number;
  packetsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The first few reject codes (or BTP error names), to explain a failure. */
  firstFailures: string[];
}

/** Bytes attributed to one allocation site by the sampling heap profiler. */
export interface AllocSite {
  site: string;
  bytes: number;
}

/** What a node's allocation probe measured between `alloc-start` and `alloc-stop`. */
export interface AllocReport {
  /** Exact bytes allocated on the JS heap (see bench/targets/alloc-probe.ts). */
  heapBytes: number;
  scavenges: number;
  markCompacts: number;
  gcMs: number;
  /** Sampled bytes (an estimate of heapBytes); 0 when sampling was off. */
  sampled: number;
  /** Top sites by the allocating function. */
  self: AllocSite[];
  /** Top sites by the innermost frame of our own code on the stack. */
  ours: AllocSite[];
}

/** The settlement chain of a run (bench/targets/chain.ts): where it is, and the dev keys to sign with. */
export interface ChainInfo {
  rpcUrl: string;
  chainId: number;
  token: string;
  registry: string;
  tokenNetwork: string;
  /** Funded dev keys (public test keys of anvil) and their addresses: one per settling node. */
  keys: Array<{ privateKey: string; address: string }>;
}

/** A settlement event of a node (SettlementEvent, amounts as decimal strings: IPC is JSON). */
export interface SettlementNote {
  type: 'settlement';
  event: string;
  ilpAmount?: string;
  message?: string;
}

export type NodeMessage =
  | { type: 'listening'; port: number }
  | { type: 'chain'; chain: ChainInfo }
  | SettlementNote
  | { type: 'peer'; id: string }
  | { type: 'ready' }
  | { type: 'alloc-started'; round: number }
  | { type: 'alloc-report'; round: number; report: AllocReport }
  | { type: 'fatal'; message: string };

export type ClientMessage =
  | { type: 'authenticated'; sockets: number; elapsedMs: number }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: LoadResult }
  | { type: 'fatal'; message: string };

export type ChildMessage = NodeMessage | ClientMessage;

/** Orchestrator -> load client: start the closed loop. */
export interface RunCommand {
  type: 'run';
  warmupMs: number;
  measureMs: number;
}

/** Orchestrator -> a node with the allocation probe; sampling is off when the interval is 0. */
export type AllocCommand =
  | { type: 'alloc-start'; round: number; samplingIntervalBytes: number }
  | { type: 'alloc-stop'; round: number };

/** Sends to the parent when there is one (forked); a no-op when run by hand. */
export function tell(message: ChildMessage): void {
  process.send?.(message);
}

/** Exits cleanly on SIGTERM/SIGINT, so that --cpu-prof can write its profile. */
export function exitOnSignal(): void {
  const exit = () => process.exit(0);
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}

/** Reports a startup failure to the orchestrator and exits non-zero. */
export function die(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(message);
  if (process.send === undefined) process.exit(1);
  // The message is sent asynchronously: exit once it is out.
  process.send({ type: 'fatal', message } satisfies ChildMessage, () => process.exit(1));
}

/** argv[2] is the JSON options object of a forked entry script. */
export function optionsFromArgv<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('expected a JSON options argument');
  return JSON.parse(raw) as T;
}
