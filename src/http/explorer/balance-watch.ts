/**
 * `balance.changed` events without touching the packet path: the peers seen in drained packet
 * events are marked, and at most once per `intervalMs` per peer their posted balance (debit and
 * credit; pending holds come and go with every packet) is read through the node's `balances()`
 * and compared with the last one seen. A peer that is marked while it waits for its interval
 * stays marked, so the last change of a burst is reported too.
 */
import type { NodeEvent, PeerAccountBalance } from '../../types/index.js';
import { balanceJson } from './views.js';

interface Posted {
  debit: bigint;
  credit: bigint;
}

const PACKET_TYPES: ReadonlySet<string> = new Set(['packet.fulfilled', 'packet.rejected']);

export class BalanceWatch {
  private readonly last = new Map<string, Posted>();
  private readonly checkedAtMs = new Map<string, number>();
  private readonly marked = new Set<string>();

  constructor(
    private readonly balances: () => Promise<PeerAccountBalance[]>,
    private readonly intervalMs = 1000,
  ) {}

  /** The current balances as the baseline: a later change from them is an event. */
  async prime(): Promise<void> {
    for (const b of await this.balances()) this.last.set(b.peerId, posted(b));
  }

  /** Marks the peers of packet events; returns `balance.changed` events for those now due. */
  async check(events: readonly NodeEvent[], nowMs: number): Promise<NodeEvent[]> {
    for (const e of events) {
      if (!PACKET_TYPES.has(e.type)) continue;
      if (e.peerId !== undefined) this.marked.add(e.peerId);
      const to = e.data?.to;
      if (typeof to === 'string' && to !== 'local') this.marked.add(to);
    }
    const due = [...this.marked].filter(
      (p) => nowMs - (this.checkedAtMs.get(p) ?? -Infinity) >= this.intervalMs,
    );
    if (due.length === 0) return [];
    const byPeer = new Map((await this.balances()).map((b) => [b.peerId, b]));
    const changed: NodeEvent[] = [];
    for (const peerId of due) {
      this.marked.delete(peerId);
      const b = byPeer.get(peerId);
      if (b === undefined) {
        // Not a peer (any more): forget it, so the maps hold only live peers.
        this.last.delete(peerId);
        this.checkedAtMs.delete(peerId);
        continue;
      }
      this.checkedAtMs.set(peerId, nowMs);
      const before = this.last.get(peerId) ?? { debit: 0n, credit: 0n };
      const now = posted(b);
      if (now.debit === before.debit && now.credit === before.credit) continue;
      this.last.set(peerId, now);
      changed.push({
        id: 0,
        ts: nowMs,
        type: 'balance.changed',
        peerId,
        amount: b.netBalance.toString(),
        data: { ...balanceJson(b) },
      });
    }
    return changed;
  }
}

function posted(b: PeerAccountBalance): Posted {
  return { debit: b.debitBalance, credit: b.creditBalance };
}
