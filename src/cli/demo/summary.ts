/**
 * The demo's console summary: payments, packets/s, each node's balances with its neighbours,
 * claims sent, received and redeemed, and the Explorer URLs. Redrawn in place on a terminal;
 * one line per refresh otherwise (logs, tests).
 */
import type { SettlementEvent } from '../../settlement/index.js';
import type { DemoNode } from './network.js';
import { PAYMENT_COUNT, type TrafficStats } from './traffic.js';

export interface ClaimCounts {
  sent: number;
  received: number;
  redeemed: number;
  redeemedTokens: bigint;
  errors: number;
}

export function countClaims(nodes: readonly DemoNode[]): Map<string, ClaimCounts> {
  const counts = new Map<string, ClaimCounts>();
  for (const { name, node } of nodes) {
    const c: ClaimCounts = { sent: 0, received: 0, redeemed: 0, redeemedTokens: 0n, errors: 0 };
    counts.set(name, c);
    node.on('settlement', (event: SettlementEvent) => {
      if (event.type === 'claim-sent') c.sent++;
      else if (event.type === 'claim-received') c.received++;
      else if (event.type === 'redeemed') {
        c.redeemed++;
        c.redeemedTokens += event.paid;
      } else if (event.type === 'error') c.errors++;
    });
  }
  return counts;
}

const TOKEN = 10n ** 18n;
const tokens = (base: bigint): string =>
  `${base / TOKEN}.${((base % TOKEN) / 10n ** 14n).toString().padStart(4, '0')}`;

export class Summary {
  private lastFlow = 0;
  private lastAtMs = Date.now();

  constructor(
    private readonly nodes: readonly DemoNode[],
    private readonly claims: Map<string, ClaimCounts>,
    private readonly stats: TrafficStats,
    private readonly tty: boolean,
  ) {}

  private packetsPerSecond(): number {
    const now = Date.now();
    const flow = this.stats.flowFulfilled + this.stats.flowRejected;
    const rate = ((flow - this.lastFlow) * 1000) / Math.max(1, now - this.lastAtMs);
    this.lastFlow = flow;
    this.lastAtMs = now;
    return Math.round(rate);
  }

  private payments(): string {
    const s = this.stats;
    return `payments ${s.paymentsDone}/${PAYMENT_COUNT} (${s.streamReceived} received${s.paymentsFailed > 0 ? `, ${s.paymentsFailed} failed` : ''})`;
  }

  private async balances(demo: DemoNode): Promise<string> {
    const parts: string[] = [];
    for (const peer of demo.node.listPeers()) {
      const b = await demo.node.getBalance(peer.id);
      parts.push(`${peer.id} ${b.netBalance}`);
    }
    return parts.join(', ');
  }

  async render(remainingS: number | undefined): Promise<string> {
    const s = this.stats;
    const pps = this.packetsPerSecond();
    const left = remainingS === undefined ? 'Ctrl-C to stop' : `${remainingS}s left`;
    if (!this.tty) {
      const claims = [...this.claims].map(([n, c]) => `${n} ${c.sent}/${c.received}/${c.redeemed}`).join(' ');
      return `demo: ${this.payments()}; flow ${s.flowFulfilled} fulfilled ${s.flowRejected} rejected, ${pps} pkt/s; claims sent/received/redeemed ${claims}; ${left}`;
    }
    const lines = [
      `Interledger demo: ${left}`,
      '',
      `  ${this.payments()}`,
      `  steady flow: ${s.flowFulfilled} fulfilled, ${s.flowRejected} rejected, ${pps} packets/s`,
      '',
    ];
    for (const demo of this.nodes) {
      const c = this.claims.get(demo.name)!;
      lines.push(
        `  ${demo.name.padEnd(8)} ${demo.node.getIlpAddress().padEnd(14)} ${demo.node.explorerUrl ?? ''}`,
        `           balances (net, + we owe): ${await this.balances(demo)}`,
        `           claims sent ${c.sent}, received ${c.received}, redeemed ${c.redeemed} (${tokens(c.redeemedTokens)} tokens)${c.errors > 0 ? `, ${c.errors} errors` : ''}`,
      );
    }
    if (s.lastError !== undefined) lines.push('', `  last error: ${s.lastError}`);
    // Home, clear: redraw in place.
    return `\x1b[H\x1b[2J${lines.join('\n')}`;
  }
}
