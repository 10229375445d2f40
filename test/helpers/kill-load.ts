/**
 * Kills under load, for the crash suites: senders on an embedded node `s` send packets (data
 * "accept <n>", seeded amounts of 1..1000, locked by the data-derived scheme) through its peer
 * to `destination` without pause, while `kill(round)` is called `kills` times, each after a
 * seeded random number (1..300) of packets fulfilled since the previous one.
 */
import type { ConnectorNode } from '../../src/index.js';
import { sendData, waitConnected } from './nodes.js';

export interface KillLoadOptions {
  s: ConnectorNode;
  /** The peer of `s` the packets go through. */
  peer: string;
  destination: string;
  concurrency: number;
  expiryMs: number;
  kills: number;
  random: () => number;
  /** Resolves when the nodes under test are up and linked (before each kill's count starts). */
  ready: () => Promise<unknown>;
  /** Kills a node (round 0, 1, ...) and restarts it. */
  kill: (round: number) => Promise<void>;
  /**
   * After a reject, a sender waits this long (load pacing, not a wait for anything): while a node
   * is down the packets are rejected at once, and senders going straight on only spin the CPU
   * the restarting node needs. Default 0.
   */
  rejectPauseMs?: number;
}

export interface KillLoadResult {
  /** Packets sent, and of them rejected. */
  sent: number;
  rejected: number;
  /** ILP units of the packets `s` saw fulfilled. */
  fulfilledAmount: bigint;
}

/** Runs the load and the kills; resolves once the kills are done and every sender stopped. */
export async function killUnderLoad(o: KillLoadOptions): Promise<KillLoadResult> {
  const result: KillLoadResult = { sent: 0, rejected: 0, fulfilledAmount: 0n };
  let fulfilledSinceKill = 0;
  let running = true;
  let onFulfilled: (() => void) | undefined;
  let linkUp: Promise<void> | undefined;

  async function sender(): Promise<void> {
    while (running) {
      if (!o.s.isConnected(o.peer)) {
        // One listener for all senders while the peer is down.
        linkUp ??= waitConnected(o.s, o.peer).finally(() => {
          linkUp = undefined;
        });
        await linkUp;
        continue;
      }
      const id = ++result.sent;
      const amount = BigInt(1 + Math.floor(o.random() * 1000));
      const reply = await sendData(o.s, o.destination, amount, `accept ${id}`, o.expiryMs);
      if (reply.type === 13) {
        result.fulfilledAmount += amount;
        fulfilledSinceKill++;
        onFulfilled?.();
      } else {
        result.rejected++;
        if (o.rejectPauseMs) await new Promise((r) => setTimeout(r, o.rejectPauseMs));
      }
    }
  }

  const senders = Array.from({ length: o.concurrency }, () => sender());
  try {
    for (let round = 0; round < o.kills; round++) {
      await waitConnected(o.s, o.peer);
      await o.ready();
      const target = 1 + Math.floor(o.random() * 300);
      fulfilledSinceKill = 0;
      await new Promise<void>((resolve) => {
        onFulfilled = () => {
          if (fulfilledSinceKill >= target) resolve();
        };
      });
      onFulfilled = undefined;
      await o.kill(round);
    }
  } finally {
    running = false;
    await Promise.all(senders);
  }
  return result;
}
