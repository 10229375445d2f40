/**
 * `connector demo` (and `npm run demo`): a small real network on this machine until Ctrl-C or
 * --duration: anvil with the project's contracts, hub + alice + bob (and more children of hub
 * with --nodes), STREAM payments and a steady packet flow from alice to bob, claims sent,
 * verified and redeemed on chain, a refreshing summary and each node's Explorer. At the end every
 * node, socket and anvil is stopped and the temp data directory removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoAnvil, startAnvil } from './anvil.js';
import { DEMO_CHAIN_ID, deployDemoChain, devAddress } from './chain.js';
import { type DemoNode, startNetwork } from './network.js';
import { loadStreamLibs } from './stream.js';
import { countClaims, Summary } from './summary.js';
import { Traffic } from './traffic.js';

export interface DemoOptions {
  readonly duration?: string | undefined;
  readonly rate: string;
  readonly nodes: string;
}

const REFRESH_MS = 1_000;
const MAX_NODES = 8;
const MAX_RATE = 5_000;
const MINTED = 10n ** 30n;

class UsageError extends Error {}

function parse(opts: DemoOptions): { durationS: number | undefined; rate: number; nodes: number } {
  const int = (v: string, name: string, min: number, max: number) => {
    const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return {
    durationS: opts.duration === undefined ? undefined : int(opts.duration, '--duration', 1, 86_400),
    rate: int(opts.rate, '--rate', 0, MAX_RATE),
    nodes: int(opts.nodes, '--nodes', 3, MAX_NODES),
  };
}

/** Resolves on SIGINT/SIGTERM or after `durationS`; a second signal exits at once. */
function runUntilStopped(
  durationS: number | undefined,
  onTick: (leftS: number | undefined) => void,
): Promise<string> {
  return new Promise((resolve) => {
    const endAt = durationS === undefined ? undefined : Date.now() + durationS * 1000;
    const tick = setInterval(() => {
      const left = endAt === undefined ? undefined : Math.max(0, Math.ceil((endAt - Date.now()) / 1000));
      onTick(left);
      if (left === 0) finish('duration reached');
    }, REFRESH_MS);
    const onSignal = (signal: NodeJS.Signals) => finish(signal);
    function finish(reason: string) {
      clearInterval(tick);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      resolve(reason);
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function demoCommand(opts: DemoOptions): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(opts);
  } catch (error) {
    console.error(`connector demo: ${(error as Error).message}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'connector-demo-'));
  const nodes: DemoNode[] = [];
  let anvil: DemoAnvil | undefined;
  let traffic: Traffic | undefined;
  const say = (line: string) => console.log(`demo: ${line}`);
  try {
    const libs = loadStreamLibs();
    say('starting anvil (a local chain from npm)');
    anvil = await startAnvil(DEMO_CHAIN_ID);
    const chain = await deployDemoChain(anvil.rpcUrl, [1, 2], MINTED);
    say(
      `chain ${anvil.rpcUrl} (id ${DEMO_CHAIN_ID}, anvil pid ${anvil.pid}), token ${chain.token}, registry ${chain.registry}`,
    );
    await startNetwork(parsed.nodes, dir, { rpcUrl: anvil.rpcUrl, ...chain }, nodes);
    for (const { name, index, node } of nodes) {
      say(
        `node ${name} ${node.getIlpAddress()} btp ${node.btpPort} health ${node.healthPort} settles as ${devAddress(index)} Explorer ${node.explorerUrl}`,
      );
    }
    const alice = nodes.find((n) => n.name === 'alice')!.node;
    const bob = nodes.find((n) => n.name === 'bob')!.node;
    const claims = countClaims(nodes);
    const sinks = nodes.filter((n) => n.name !== 'hub' && n.name !== 'alice').map((n) => n.node);
    traffic = new Traffic(libs, alice, bob, sinks);
    await traffic.start(parsed.rate);
    say(`traffic: STREAM payments alice -> bob, ${parsed.rate} packets/s; data in ${dir}`);
    const tty = process.stdout.isTTY === true;
    const summary = new Summary(nodes, claims, traffic.stats, tty);
    let reportedPaid = false;
    let rendering = false;
    const reason = await runUntilStopped(parsed.durationS, (left) => {
      if (traffic?.paymentsFinished && !reportedPaid) {
        reportedPaid = true;
        const s = traffic.stats;
        say(
          `payments done: ${s.paymentsDone} completed, ${s.paymentsFailed} failed, ${s.streamReceived} received`,
        );
      }
      if (rendering) return;
      rendering = true;
      summary
        .render(left)
        .then((text) => console.log(text))
        .finally(() => {
          rendering = false;
        });
    });
    say(`stopping (${reason})`);
    return 0;
  } catch (error) {
    console.error(`connector demo: ${(error as Error).message}`);
    return 1;
  } finally {
    await traffic?.stop();
    for (const { node } of [...nodes].reverse()) await node.stop().catch(() => undefined);
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
    say('stopped: nodes, sockets and anvil are gone');
  }
}
