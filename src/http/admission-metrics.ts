/**
 * Open admission's metrics (docs/routing.md "Open admission", docs/standalone.md): agents
 * admitted now, admissions, refusals by reason and agents that left, filled from the admission's
 * counters at scrape time. Only merged while `btp.admission.mode` is `open`.
 */
import { Counter, Gauge, type PrometheusContentType, type Registry } from 'prom-client';

/** Why a login under an unknown username was refused; a fixed list, so the label is bounded. */
export const ADMISSION_REFUSALS = [
  'invalid-username',
  'reserved',
  'routed',
  'invalid-token',
  'in-progress',
  'wrong-token',
  'full',
  'remembered-full',
  'timeout',
  'failed',
] as const;
export type AdmissionRefusal = (typeof ADMISSION_REFUSALS)[number];

/** Why an admitted agent left: idle for idleEvictMs, or removed by the operator. */
export const AGENT_DEPARTURES = ['idle', 'removed'] as const;
export type AgentDeparture = (typeof AGENT_DEPARTURES)[number];

export interface AdmissionCounters {
  /** Agents admitted and not yet gone. */
  readonly agents: number;
  readonly admitted: number;
  readonly refused: Readonly<Record<AdmissionRefusal, number>>;
  readonly departed: Readonly<Record<AgentDeparture, number>>;
  /** Names of agents gone whose accounts hold money: never forgotten (docs/routing.md). */
  readonly rememberedWithMoney: number;
}

export function registerAdmissionMetrics(
  registry: Registry<PrometheusContentType>,
  counters: () => AdmissionCounters | undefined,
): void {
  const registers = [registry];
  new Gauge({
    name: 'connector_admission_agents',
    help: 'Agents admitted by open admission and connected or not yet evicted',
    registers,
    collect() {
      const c = counters();
      if (c !== undefined) this.set(c.agents);
    },
  });
  new Gauge({
    name: 'connector_admission_remembered_with_money',
    help: 'Usernames of agents gone whose ledger account holds money: never forgotten, and they count against maxAgents + maxRememberedAgents',
    registers,
    collect() {
      const c = counters();
      if (c !== undefined) this.set(c.rememberedWithMoney);
    },
  });
  new Counter({
    name: 'connector_admission_admitted_total',
    help: 'Logins under unknown usernames admitted as agents (a returning agent counts again)',
    registers,
    collect() {
      this.reset();
      const c = counters();
      if (c !== undefined) this.inc(c.admitted);
    },
  });
  new Counter({
    name: 'connector_admission_refused_total',
    help: 'Logins under unknown usernames refused by open admission, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const c = counters();
      if (c === undefined) return;
      for (const reason of ADMISSION_REFUSALS) this.inc({ reason }, c.refused[reason]);
    },
  });
  new Counter({
    name: 'connector_admission_evictions_total',
    help: 'Admitted agents removed, by cause (idle: no packet for idleEvictMs; removed: by the operator)',
    labelNames: ['cause'],
    registers,
    collect() {
      this.reset();
      const c = counters();
      if (c === undefined) return;
      for (const cause of AGENT_DEPARTURES) this.inc({ cause }, c.departed[cause]);
    },
  });
}
