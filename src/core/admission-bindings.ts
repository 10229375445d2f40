/**
 * Which token each admitted username is bound to (its SHA-256), in memory and in
 * `admission-agents.jsonl` beside the ledger (docs/routing.md, "Open admission").
 *
 * The money-safe rule: a name is bound while its agent is admitted and after it leaves. A name
 * that left is forgotten (oldest first, beyond `maxRememberedAgents`) only if its ledger account
 * holds nothing, posted or pending; a name whose account holds money (either way) is never
 * forgotten, so nobody else can log in as it and spend or owe its balance. When such names and
 * the admitted agents fill `maxAgents + maxRememberedAgents`, new names are refused instead
 * (`hasRoomForNewName`). So at most that many names are held in memory.
 */
import { join } from 'node:path';
import { AppendLog } from '../gateway/append-log.js';

export const BINDINGS_FILE = 'admission-agents.jsonl';

/** A line of the file: the username and the hex SHA-256 of its token; `h: null` withdraws it. */
export interface BindingRecord {
  u: string;
  h: string | null;
}

/** Where records are made durable; `append` resolves once its record is. (A seam for tests.) */
export interface BindingLog {
  append(record: BindingRecord): Promise<void>;
  close(): Promise<void>;
}

/** With `ledgerDurability: off` no balance outlives the process, nor do bindings. */
const NO_LOG: BindingLog = { append: async () => {}, close: async () => {} };

/** Whether the name's ledger account holds anything (a failed look-up must answer true). */
export type HoldsMoney = (username: string) => Promise<boolean>;

export interface BindingLimits {
  maxAgents: number;
  maxRememberedAgents: number;
}

export class AgentBindings {
  private readonly digests = new Map<string, Buffer>();
  /** Bound names not admitted now whose account holds money: never forgotten. */
  private readonly withMoney = new Set<string>();
  /** Bound names not admitted now with an empty account, oldest first: forgotten beyond the cap. */
  private readonly empty = new Set<string>();
  private log: BindingLog = NO_LOG;
  /** The last departure being looked up (`left`). */
  private sorting: Promise<void> = Promise.resolve();

  constructor(
    private readonly limits: BindingLimits,
    private readonly holdsMoney: HoldsMoney,
  ) {}

  /** Names held in memory (admitted or not). */
  get size(): number {
    return this.digests.size;
  }

  /** Names not admitted now whose account holds money. */
  get heldWithMoney(): number {
    return this.withMoney.size;
  }

  digest(username: string): Buffer | undefined {
    return this.digests.get(username);
  }

  /**
   * Reads the file left by earlier runs (none without a data directory): every name is not
   * admitted yet, so the rule sorts them by their accounts, and the file keeps what is kept.
   */
  async open(dataDir: string | undefined, wrap: (log: BindingLog) => BindingLog = (l) => l): Promise<void> {
    if (dataDir === undefined) {
      this.log = wrap(NO_LOG);
      return;
    }
    const path = join(dataDir, BINDINGS_FILE);
    const { log } = await AppendLog.open(path, async (records) => {
      const latest = readBindings(records, path);
      for (const [u, h] of latest) this.digests.set(u, Buffer.from(h, 'hex'));
      const names = [...latest.keys()];
      const money = await Promise.all(names.map((u) => this.holdsMoney(u).catch(() => true)));
      for (const [i, u] of names.entries()) {
        if (money[i] === true) this.withMoney.add(u);
        else this.empty.add(u);
      }
      this.trim();
      return [...latest].filter(([u]) => this.digests.has(u)).map(([u, h]) => ({ u, h }));
    });
    this.log = wrap(log);
  }

  async close(): Promise<void> {
    const log = this.log;
    this.log = NO_LOG;
    await log.close();
  }

  /** Whether a name not bound yet may be admitted with `admitted` agents admitted or pending. */
  hasRoomForNewName(admitted: number): boolean {
    const { maxAgents, maxRememberedAgents } = this.limits;
    return admitted + this.withMoney.size < maxAgents + maxRememberedAgents;
  }

  /** Writes the binding durably unless the name already has it; true when it wrote one. */
  async write(username: string, digest: Buffer): Promise<boolean> {
    if (this.digests.get(username)?.equals(digest) === true) return false;
    await this.log.append({ u: username, h: digest.toString('hex') });
    return true;
  }

  /** Withdraws a binding written for an admission that failed before any account existed. */
  async withdraw(username: string): Promise<void> {
    await this.log.append({ u: username, h: null });
  }

  /** The name's agent is admitted (its binding written): it is not forgotten while admitted. */
  admitted(username: string, digest: Buffer): void {
    this.digests.set(username, digest);
    this.withMoney.delete(username);
    this.empty.delete(username);
  }

  /**
   * The name's agent left (evicted, removed, or an admission abandoned after its account was
   * made): counted as holding money until its account says otherwise. Looked up one at a time,
   * so names are forgotten in the order they left.
   */
  left(username: string, stillAway: () => boolean): Promise<void> {
    if (!this.digests.has(username)) return Promise.resolve();
    this.withMoney.add(username);
    const sorted = this.sorting.then(async () => {
      const money = await this.holdsMoney(username).catch(() => true);
      // Admitted again meanwhile (or forgotten): the newer state stands.
      if (money || !stillAway() || !this.withMoney.delete(username)) return;
      this.empty.add(username);
      this.trim();
    });
    this.sorting = sorted;
    return sorted;
  }

  /** Forgets empty names, oldest first, while more than maxRememberedAgents are away. */
  private trim(): void {
    for (const u of this.empty) {
      if (this.empty.size + this.withMoney.size <= this.limits.maxRememberedAgents) return;
      this.empty.delete(u);
      this.digests.delete(u);
    }
  }
}

/** The newest binding of each name, oldest first; a withdrawn one removes its name. */
function readBindings(records: readonly unknown[], path: string): Map<string, string> {
  const latest = new Map<string, string>();
  for (const r of records) {
    const { u, h } = r as Partial<BindingRecord>;
    const ok = typeof u === 'string' && (h === null || (typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)));
    if (!ok) throw new Error(`${path}: not an admission binding: ${JSON.stringify(r).slice(0, 80)}`);
    latest.delete(u);
    if (h !== null) latest.set(u, h);
  }
  return latest;
}
