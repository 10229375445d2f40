/**
 * A flood of bad BTP logins (10,000 from one address at ~1,000/s, from a separate process) does
 * not slow an authenticated peer: the per-address attempt budget refuses most of them with HTTP
 * 429 before the WebSocket handshake, the log stays bounded, and no packet of the peer is lost.
 *
 * Throughput is measured as packets completed in equal windows of the same run: the flood comes in
 * bursts of 1 s at 1,000/s with 1 s of quiet after each, and the packets completed during the
 * bursts are compared with those completed in the quiet second after each (100 ms left out at
 * each edge), so load from elsewhere on the machine weighs on both sides alike. The bar is the
 * issue's 0.8; the other assertions count (no packet lost, refusals, log lines).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ConnectorNode } from '../../src/index.js';
import { baseConfig, btpUrl, makeNode, sendData, waitConnected } from '../helpers/nodes.js';

const FLOOD_ATTEMPTS = 10_000;
const FLOOD_PER_SECOND = 1_000;
/** The flood alternates BURST_MS at 1,000/s and BURST_MS of quiet: adjacent windows compare. */
const BURST_MS = 1_000;
const EDGE_MS = 100;
const BUCKET_MS = 50;
const WORKERS = 16;
/** Linux routes all of 127/8 to loopback: the flood comes from another address than the peer. */
const FLOOD_ADDRESS = '127.0.0.2';

describe('a flood of bad BTP logins', { timeout: 120_000 }, () => {
  let a: ConnectorNode;
  let b: ConnectorNode;
  let logLines: { level: number; msg: string }[] = [];

  before(async () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        const cut = text.lastIndexOf('\n');
        if (cut >= 0) {
          for (const line of text.slice(0, cut).split('\n')) if (line) logLines.push(JSON.parse(line));
          text = text.slice(cut + 1);
        }
        done();
      },
    });
    b = new ConnectorNode(
      baseConfig('b', { peers: [{ id: 'a', authToken: 'secret-a' }] }),
      pino({ level: 'info' }, sink),
      { env: {} },
    );
    await b.start();
    b.setPacketHandler(() => ({ accept: true }));
    a = makeNode(
      baseConfig('a', {
        peers: [{ id: 'b', url: btpUrl(b), authToken: 'secret-a' }],
        routes: [{ prefix: 'g.b', nextHop: 'b' }],
      }),
    );
    await a.start();
    await waitConnected(a, 'b');
  });
  after(async () => {
    await a.stop();
    await b.stop();
  });

  /** Sends with WORKERS in parallel until `until` resolves; completions per 50 ms bucket. */
  async function pump(until: Promise<unknown>): Promise<{ buckets: Map<number, number>; other: number }> {
    const buckets = new Map<number, number>();
    let other = 0;
    let running = true;
    void until.finally(() => {
      running = false;
    });
    let n = 0;
    const worker = async () => {
      while (running) {
        const reply = await sendData(a, 'g.b.x', 1n, `p${n++}`);
        if (reply.type !== 13) other++;
        const slot = Math.floor(Date.now() / BUCKET_MS);
        buckets.set(slot, (buckets.get(slot) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    return { buckets, other };
  }

  it('leaves the authenticated peer at >= 80% of its throughput, loses no packet, logs a bounded number of lines', async () => {
    await pump(new Promise((r) => setTimeout(r, 500))); // warm-up
    logLines = [];
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../helpers/auth-flood.js', import.meta.url)),
        String(b.btpPort),
        String(FLOOD_ATTEMPTS),
        String(FLOOD_PER_SECOND),
        FLOOD_ADDRESS,
        String(BURST_MS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // The attacker stands in for another machine: at the lowest CPU priority, its own work does
    // not take this 2-core machine's CPU from the node (what is measured is the node's cost).
    if (child.pid !== undefined) setPriority(child.pid, 19);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = once(child, 'exit');
    try {
      const { buckets, other } = await pump(exited);
      const flood = JSON.parse(out) as {
        refused: number;
        upgraded: number;
        other: number;
        elapsedMs: number;
        marks: number[];
      };
      const floodLines = logLines.length;
      // Each burst is paired with the pause after it; EDGE_MS at both ends of each is left out.
      let during = 0;
      let calm = 0;
      for (const mark of flood.marks) {
        during += completedIn(buckets, mark + EDGE_MS, mark + BURST_MS - EDGE_MS);
        calm += completedIn(buckets, mark + BURST_MS + EDGE_MS, mark + 2 * BURST_MS - EDGE_MS);
      }
      const report = {
        during,
        calm,
        ratio: during / calm,
        other,
        flood: { ...flood, marks: flood.marks.length },
        floodLines,
      };
      console.log(JSON.stringify(report));

      // No packet of the authenticated peer is lost or refused.
      assert.equal(other, 0, JSON.stringify(report));
      // Every attempt ended. Handshakes: at most the budget (20) plus one per second the flood
      // lasted; the rest were refused before the handshake (429), or, when the starved attacker
      // fired thousands at once, never reached the HTTP layer (the listen backlog: `other`).
      const seconds = Math.ceil(flood.elapsedMs / 1000);
      assert.equal(flood.refused + flood.upgraded + flood.other, FLOOD_ATTEMPTS);
      assert.ok(flood.upgraded <= 20 + seconds + 5, JSON.stringify(report));
      assert.ok(flood.refused >= FLOOD_ATTEMPTS * 0.9, JSON.stringify(report));
      assert.equal(b.listPeers().find((p) => p.id === 'a')?.connected, true);
      // The log: a handful of rate-limited lines, not one per attempt.
      // The log: one line per kind (refused at the upgrade, refused login, auth timeout) per 10 s.
      const maxLines = 3 * (Math.ceil(seconds / 10) + 1);
      assert.ok(floodLines <= maxLines, `${floodLines} log lines: ${JSON.stringify(logLines.slice(0, 12))}`);
      assert.ok(calm > 0 && during >= 0.8 * calm, JSON.stringify(report));
    } finally {
      child.kill();
    }
  });
});

function completedIn(buckets: Map<number, number>, fromMs: number, toMs: number): number {
  let sum = 0;
  for (let slot = Math.ceil(fromMs / BUCKET_MS); slot < Math.floor(toMs / BUCKET_MS); slot++)
    sum += buckets.get(slot) ?? 0;
  return sum;
}
