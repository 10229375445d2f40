/**
 * Open admission (DESIGN §12, docs/routing.md "Open admission"): a BTP username no peer has is
 * admitted as a child `<own>.<username>` when `btp.admission.mode` is `open`. The agent gets the
 * admission's limits (zero credit by default: it spends only what it received or prepaid), at
 * most `maxAgents` are held at once, and one with no packet for `idleEvictMs` is removed (link,
 * routes, registry); its ledger account and balance stay.
 *
 * The auth check is answered only after the agent's binding, account, route and link exist, so
 * no packet of it is served before its account does (BTPServer holds the socket until the
 * verdict), and at most `timeoutMs` later: a step that hangs (a disk, a ledger) is given up, the
 * login refused with T00, and what the step leaves when it ends is undone (`undo`). A username
 * stays bound to the token it was first admitted with (admission-bindings.ts: never forgotten
 * while its account holds money), so nobody else can take the name and its balance.
 */
import type { AuthClaim, AuthVerdict } from '../btp/index.js';
import {
  type AdmissionConfig,
  allowNoAuth,
  type Env,
  parsePeerConfig,
  type ResolvedConfig,
  resolvePeerSecret,
} from '../config/index.js';
import { ADMISSION_REFUSALS, type AdmissionCounters, AGENT_DEPARTURES } from '../http/index.js';
import type { Ledger } from '../ledger/index.js';
import type { RoutingTable } from '../routing/index.js';
import { ConnectorError } from '../utils/errors.js';
import type { Logger } from '../utils/logger.js';
import { messageOf } from '../utils/text.js';
import { AgentBindings, type BindingLog } from './admission-bindings.js';
import { checkClaim, type Refusal, sha256, strictUtf8, timedOut } from './admission-claims.js';
import { X402_SEGMENT } from './gateway-host.js';
import type { PeerManager } from './peer-manager.js';
import { type PeerRegistry, peerAccount } from './peers.js';

export { BINDINGS_FILE, type BindingLog, type BindingRecord } from './admission-bindings.js';

/** The idle sweep runs at a quarter of idleEvictMs, within these bounds. */
const SWEEP_MIN_MS = 25;
const SWEEP_MAX_MS = 60_000;

export interface AdmissionDeps {
  config: ResolvedConfig;
  peers: PeerRegistry;
  /** A username whose `<own>.<username>` already has a route (configured) is taken. */
  routes: RoutingTable;
  address: () => string;
  peerManager: PeerManager;
  /** The node's ledger (open before `open()`): an agent's balance decides if its name may be forgotten. */
  ledger: () => Ledger;
  logger: Logger;
  /**
   * Where the token bindings are kept (the node's data directory); undefined with a ledger kept
   * in memory only (`ledgerDurability: off`): no balance outlives the process, nor do bindings.
   */
  dataDir: string | undefined;
  /** Wraps the bindings' log (embedders and tests: a log whose appends hang). */
  wrapBindingLog?: ((log: BindingLog) => BindingLog) | undefined;
  now?: () => number;
}

interface Agent {
  /** prepareIn + prepareOut at the last sweep that saw it change. */
  packets: number;
  lastActiveMs: number;
}

export class Admission {
  private readonly policy: AdmissionConfig;
  private readonly agents = new Map<string, Agent>();
  /** Usernames whose admission runs (also one given up on a timeout, until its step ends). */
  private readonly pending = new Set<string>();
  private readonly bindings: AgentBindings;
  /** Ids an agent may never take (ClaimContext.reserved). */
  private readonly reserved: ReadonlySet<string>;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Verdicts waiting on their timeout; `stop()` gives them up at once. */
  private readonly waiting = new Set<() => void>();
  private admitted = 0;
  private readonly refused = countsOf(ADMISSION_REFUSALS);
  private readonly departed = countsOf(AGENT_DEPARTURES);

  constructor(private readonly d: AdmissionDeps) {
    this.policy = d.config.btp.admission;
    this.now = d.now ?? Date.now;
    this.bindings = new AgentBindings(this.policy, (u) => this.holdsMoney(u));
    const { config } = d;
    this.reserved = new Set([
      config.nodeId,
      ...config.peers.map((p) => p.id),
      ...config.routes.map((r) => r.nextHop),
      ...this.policy.reservedUsernames,
      // The gateway serves `<own>.x402` locally; an agent by that name would capture its packets.
      ...(config.mode === 'gateway' ? [X402_SEGMENT] : []),
    ]);
  }

  /** For /metrics. */
  counters(): AdmissionCounters {
    const { admitted, refused, departed, agents, bindings } = this;
    return { agents: agents.size, admitted, refused, departed, rememberedWithMoney: bindings.heldWithMoney };
  }

  /**
   * Reads the bindings left by earlier runs (before the BTP server listens, so that no login is
   * judged without them; after the ledger opened, which says which names hold money) and opens
   * the file for new ones. A damaged file stops the start.
   */
  async open(): Promise<void> {
    await this.bindings.open(this.d.dataDir, this.d.wrapBindingLog);
    if (this.bindings.size > 0)
      this.d.logger.info({ bound: this.bindings.size }, 'admission: token bindings read');
  }

  start(): void {
    if (this.sweepTimer !== undefined) return;
    const everyMs = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(this.policy.idleEvictMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), everyMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const giveUp of this.waiting) giveUp();
    await this.bindings.close();
  }

  /** The LinkManager's `admit`: undefined while admission is closed (the username is unknown). */
  admit(claim: AuthClaim): Promise<AuthVerdict> | undefined {
    if (this.policy.mode !== 'open') return undefined;
    const refused = checkClaim(claim, {
      reserved: this.reserved,
      peers: this.d.peers,
      routes: this.d.routes,
      address: this.d.address(),
      pending: this.pending,
      bindings: this.bindings,
      admitted: this.agents.size,
      maxAgents: this.policy.maxAgents,
    });
    if (refused !== undefined) return Promise.resolve(this.refuse(refused));
    const { username } = claim;
    this.pending.add(username);
    const attempt = { abandoned: false };
    const work = this.register(username, claim.token, attempt).finally(() => this.pending.delete(username));
    return this.within(work, attempt);
  }

  /** The verdict of `work`, or a T00 refusal once timeoutMs passed (the attempt is given up). */
  private within(work: Promise<AuthVerdict>, attempt: { abandoned: boolean }): Promise<AuthVerdict> {
    return new Promise<AuthVerdict>((resolve) => {
      const settle = (verdict: AuthVerdict | undefined) => {
        if (attempt.abandoned) return; // answered on the timeout; `undo` cleans up after the work
        clearTimeout(timer);
        this.waiting.delete(giveUp);
        if (verdict === undefined) attempt.abandoned = true;
        else if ('reason' in verdict) this.refused.failed++;
        else this.admitted++;
        resolve(verdict ?? this.refuse(timedOut(this.policy.timeoutMs)));
      };
      const giveUp = () => settle(undefined);
      const timer = setTimeout(giveUp, this.policy.timeoutMs);
      this.waiting.add(giveUp);
      void work.then(settle, (err: unknown) => settle({ reason: `admission failed: ${messageOf(err)}` }));
    });
  }

  private refuse(refusal: Refusal): AuthVerdict {
    this.refused[refusal.why]++;
    const { reason, told, code } = refusal;
    return { reason, ...(told === undefined ? {} : { told }), ...(code === undefined ? {} : { code }) };
  }

  /**
   * Binding (durably), then account, route and link (PeerManager.add: all or nothing), then the
   * verdict. A given-up attempt adds no link; `undo` removes what its steps left.
   */
  private async register(
    username: string,
    token: Uint8Array,
    attempt: { abandoned: boolean },
  ): Promise<AuthVerdict> {
    const { maximum, maxPacketAmount, rateLimit } = this.policy;
    const digest = sha256(token);
    let wrote = false;
    try {
      // Bound before anything is created: a name with a balance never goes unbound.
      wrote = await this.bindings.write(username, digest);
      if (attempt.abandoned) throw new ConnectorError('ERR_BTP_TIMEOUT', 'given up before its account');
      const peer = parsePeerConfig({
        id: username,
        authToken: strictUtf8.decode(token),
        relation: 'child',
        rateLimit: { packetsPerSecond: rateLimit.packetsPerSecond, burst: rateLimit.burst },
        balance: { maximum },
        ...(maxPacketAmount === undefined ? {} : { maxPacketAmount }),
      });
      await this.d.peerManager.add(peer, () => !attempt.abandoned);
    } catch (err) {
      await this.undo(username, digest, wrote);
      return { reason: `admission failed: ${messageOf(err)}` };
    }
    this.agents.set(username, { packets: 0, lastActiveMs: this.now() });
    this.bindings.admitted(username, digest);
    return { peerId: username };
  }

  /**
   * After a failed or given-up admission: a binding it wrote stays only if the name has an
   * account (made by this attempt or before), as an agent gone; else it is withdrawn, so neither
   * a binding without an account nor an account without a binding is left.
   */
  private async undo(username: string, digest: Buffer, wrote: boolean): Promise<void> {
    if (!wrote) return;
    if (this.hasAccount(username)) {
      this.bindings.admitted(username, digest);
      await this.bindings.left(username, () => !this.agents.has(username));
      return;
    }
    await this.bindings.withdraw(username).catch((err: unknown) => {
      // The binding stays on disk (safe: it only keeps the name for this token after a restart).
      this.d.logger.error({ err, agent: username }, 'admission: withdrawing a binding failed');
    });
  }

  private hasAccount(username: string): boolean {
    try {
      return this.d.ledger().hasAccount(peerAccount(username));
    } catch {
      return true; // not knowable: keep the binding, the safe side
    }
  }

  private async holdsMoney(username: string): Promise<boolean> {
    const b = await this.d.ledger().getBalance(peerAccount(username));
    if (b === undefined) return false;
    return b.debitsPosted !== b.creditsPosted || b.debitsPending !== 0n || b.creditsPending !== 0n;
  }

  /** A peer was removed (evicted, or by the operator's removePeer): its slot is free. */
  forget(peerId: string): void {
    // The name may have been admitted again while its removal was closing the old link.
    if (this.d.peers.has(peerId) || !this.agents.delete(peerId)) return; // else evicted: done
    this.departed.removed++;
    void this.bindings.left(peerId, () => !this.agents.has(peerId));
  }

  /** Removes agents with no packet from or to them since idleEvictMs ago. */
  sweep(nowMs = this.now()): void {
    const idle: string[] = [];
    for (const [id, agent] of this.agents) {
      const peer = this.d.peers.get(id);
      if (peer === undefined) continue; // being removed: forget() follows
      const packets = peer.counts.prepareIn + peer.counts.prepareOut;
      if (packets !== agent.packets) {
        agent.packets = packets;
        agent.lastActiveMs = nowMs;
      } else if (nowMs - agent.lastActiveMs >= this.policy.idleEvictMs) idle.push(id);
    }
    for (const id of idle) this.evict(id);
    if (idle.length > 0)
      this.d.logger.info({ evicted: idle.length, agents: this.agents.size }, 'idle agents evicted');
  }

  private evict(id: string): void {
    this.agents.delete(id);
    this.departed.idle++;
    void this.bindings.left(id, () => !this.agents.has(id));
    this.d.peerManager.remove(id, true).catch((err: unknown) => {
      this.d.logger.error({ err, peer: id }, 'evicting an idle agent failed');
    });
  }
}

/**
 * The node's admission when `btp.admission.mode` is open, else undefined. A configured peer with
 * no secret can be logged into by anyone while BTP_ALLOW_NOAUTH holds (the spec's permissionless
 * default): admission cannot protect that id, so the operator is warned.
 */
export function createAdmission(d: AdmissionDeps, env: Env): Admission | undefined {
  const { config } = d;
  if (config.btp.admission.mode !== 'open') return undefined;
  const open = allowNoAuth(config, env)
    ? config.peers.filter((p) => (resolvePeerSecret(p.id, env) ?? p.authToken) === '').map((p) => p.id)
    : [];
  if (open.length > 0)
    d.logger.warn(
      { peers: open.slice(0, 20), count: open.length },
      'open admission is on and these configured peers have no secret: anyone can log in as them (set authToken or BTP_PEER_<ID>_SECRET, or BTP_ALLOW_NOAUTH=false)',
    );
  return new Admission(d);
}

function countsOf<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
