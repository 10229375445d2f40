/**
 * The load sender, in its own process: dials the first node over BTP as one or many peers,
 * authenticates, waits for the orchestrator's `run`, keeps exactly `inFlight` Prepares in flight
 * and reports a LoadResult (also printed as one JSON line on stdout).
 *
 *   node dist/bench/load/sender.js '{"urls":["ws://127.0.0.1:3000"],"username":"sender","token":"s","inFlight":100}'
 *
 * With several URLs or `peers`, it opens one socket per peer (`<username><i>`, token
 * `<token><i>`), as in the 1,000-peer scale scenario.
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { die, exitOnSignal, optionsFromArgv, type RunCommand, tell } from '../harness/messages.js';
import { ClosedLoop } from './closed-loop.js';
import { dialBtp } from './dial.js';
import { PrepareTemplate } from './frames.js';

export interface SenderOptions {
  /** One URL, or one per peer (a reference listener serves one peer per port). */
  urls: string[];
  username: string;
  token: string;
  inFlight: number;
  /** Number of peer sockets; when set, usernames and tokens get the peer index appended. */
  peers?: number;
  /** Index of this process's first peer (peers may be split over several processes). */
  firstPeer?: number;
  /** Parallel dials while connecting many peers. */
  dialConcurrency?: number;
  batch?: boolean;
}

async function connectAll(opts: SenderOptions): Promise<WebSocket[]> {
  if (opts.peers === undefined) {
    return [await dialBtp({ url: opts.urls[0]!, username: opts.username, token: opts.token })];
  }
  const sockets: WebSocket[] = new Array(opts.peers);
  const first = opts.firstPeer ?? 0;
  let nextPeer = 0;
  const worker = async () => {
    for (let i = nextPeer++; i < sockets.length; i = nextPeer++) {
      const peer = first + i;
      const url = opts.urls[i % opts.urls.length]!;
      const username = `${opts.username}${peer}`;
      sockets[i] = await dialBtp({ url, username, token: `${opts.token}${peer}`, deadlineMs: 120_000 });
    }
  };
  const workers = Math.min(opts.dialConcurrency ?? 100, opts.peers);
  await Promise.all(Array.from({ length: workers }, worker));
  return sockets;
}

async function main(): Promise<void> {
  exitOnSignal();
  const opts = optionsFromArgv<SenderOptions>();
  const startedAt = performance.now();
  const sockets = await connectAll(opts);
  const elapsedMs = performance.now() - startedAt;
  let finished = false;
  const onClose = () => finished || die(new Error('a sender socket closed before the run ended'));
  for (const ws of sockets) ws.once('close', onClose);
  const loop = new ClosedLoop(sockets, opts.inFlight, new PrepareTemplate(), opts.batch ?? true);
  process.once('message', (command: RunCommand) => {
    loop
      .run(command.warmupMs, command.measureMs, {
        onMeasureStart: () => tell({ type: 'measure-start' }),
        onMeasureEnd: () => tell({ type: 'measure-end' }),
      })
      .then((result) => {
        finished = true;
        console.log(JSON.stringify(result));
        tell({ type: 'result', result });
      }, die);
  });
  tell({ type: 'authenticated', sockets: sockets.length, elapsedMs });
}

main().catch(die);
