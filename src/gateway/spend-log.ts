/**
 * The outbound side's daily spend, durable (docs/gateway.md, "Daily spend cap"): each payment
 * is reserved against the UTC day's cap in memory at once and written to an append log
 * (append-log.ts: group commit, `datasync` per batch) before the authorization is signed, so a
 * restart, a crash included, starts from what the day has spent. A payment the server refused
 * gives its reservation back. At open the file is compacted to one line: today's total.
 */
import { ConnectorError } from '../utils/errors.js';
import { AppendLog } from './append-log.js';

const DAY_MS = 86_400_000;

type SpendRecord = { op: 'spend' | 'refund'; day: number; amount: string };

export function utcDay(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS);
}

export class SpendLog {
  readonly #log: AppendLog;
  #day: number;
  #spent: bigint;

  private constructor(log: AppendLog, day: number, spent: bigint) {
    this.#log = log;
    this.#day = day;
    this.#spent = spent;
  }

  /** Reads what `path` says was spent today (`nowMs`'s UTC day); earlier days are dropped. */
  static async open(path: string, nowMs: number): Promise<SpendLog> {
    const today = utcDay(nowMs);
    let spent = 0n;
    const { log } = await AppendLog.open(path, (records) => {
      for (const r of records as SpendRecord[]) {
        if (
          (r?.op !== 'spend' && r?.op !== 'refund') ||
          !Number.isSafeInteger(r.day) ||
          !/^[0-9]{1,40}$/.test(String(r.amount))
        )
          throw new ConnectorError('ERR_GATEWAY_STORE', `${path} holds a record of unknown kind`);
        if (r.day !== today) continue;
        spent += r.op === 'spend' ? BigInt(r.amount) : -BigInt(r.amount);
      }
      if (spent < 0n) spent = 0n;
      return spent === 0n
        ? []
        : [{ op: 'spend', day: today, amount: spent.toString() } satisfies SpendRecord];
    });
    return new SpendLog(log, today, spent);
  }

  /** Spent (or reserved by payments in progress) on the current UTC day. */
  spentOn(nowMs: number): bigint {
    this.#roll(nowMs);
    return this.#spent;
  }

  /**
   * Counts `amount` against the day's `cap` at once (false: it would exceed it); `durable`
   * resolves once the reservation is on disk, and rejects (the reservation undone) when it
   * cannot be written: nothing may be paid then.
   */
  reserve(
    amount: bigint,
    cap: bigint,
    nowMs: number,
  ): { accepted: false } | { accepted: true; day: number; durable: Promise<void> } {
    this.#roll(nowMs);
    if (this.#spent + amount > cap) return { accepted: false };
    this.#spent += amount;
    const day = this.#day;
    const durable = this.#log
      .append({ op: 'spend', day, amount: amount.toString() } satisfies SpendRecord)
      .catch((error) => {
        this.#giveBack(day, amount);
        throw new ConnectorError('ERR_GATEWAY_STORE', `could not write the spend log: ${String(error)}`);
      });
    return { accepted: true, day, durable };
  }

  /** A reservation of `day` that was not paid after all (the server refused the payment). */
  refund(day: number, amount: bigint): Promise<void> {
    this.#giveBack(day, amount);
    return this.#log.append({ op: 'refund', day, amount: amount.toString() } satisfies SpendRecord);
  }

  close(): Promise<void> {
    return this.#log.close();
  }

  #giveBack(day: number, amount: bigint): void {
    if (day === this.#day) this.#spent = this.#spent > amount ? this.#spent - amount : 0n;
  }

  #roll(nowMs: number): void {
    // Forward only: a clock set back keeps counting against the later day.
    const day = utcDay(nowMs);
    if (day > this.#day) {
      this.#day = day;
      this.#spent = 0n;
    }
  }
}
