/**
 * The demo's traffic, alice to bob through hub: STREAM payments (a sender child of alice pays a
 * receiver child of bob, each over ilp-plugin-btp with its address from IL-DCP) one after the
 * other, and a steady flow of `ratePerSecond` packets sent by alice's node itself to bob's (and
 * the other children's, in turn),
 * locked by the data-derived condition bob's handler fulfils. Every limit is explicit.
 */

import type { ConnectorNode } from '../../core/index.js';
import { computeConditionFromData } from '../../core/index.js';
import type { StreamConnection, StreamLibs, StreamServer } from './stream.js';

export const PAYMENT_AMOUNT = 10_000n;
export const PAYMENT_COUNT = 5;
const PAYMENT_TIMEOUT_MS = 20_000;
const FLOW_PACKET_AMOUNT = 10n;
const FLOW_EXPIRY_MS = 10_000;
const FLOW_MAX_IN_FLIGHT = 200;

export interface TrafficStats {
  paymentsDone: number;
  paymentsFailed: number;
  /** What the receiver got, summed over payments ('money' events). */
  streamReceived: bigint;
  streamDelivered: bigint;
  flowFulfilled: number;
  flowRejected: number;
  lastError: string | undefined;
}

interface Receipt {
  total: bigint;
  connection: StreamConnection | undefined;
  paid(): void;
}

export class Traffic {
  readonly stats: TrafficStats = {
    paymentsDone: 0,
    paymentsFailed: 0,
    streamReceived: 0n,
    streamDelivered: 0n,
    flowFulfilled: 0,
    flowRejected: 0,
    lastError: undefined,
  };
  private server: StreamServer | undefined;
  private readonly open = new Set<StreamConnection>();
  private readonly receipts = new Map<string, Receipt>();
  private stopped = false;
  private flowTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private payments: Promise<void> | undefined;

  constructor(
    private readonly libs: StreamLibs,
    private readonly alice: ConnectorNode,
    private readonly bob: ConnectorNode,
    /** Where the steady flow goes, in turn: bob and any other child of hub. */
    private readonly sinks: readonly ConnectorNode[] = [bob],
  ) {}

  async start(ratePerSecond: number): Promise<void> {
    for (const sink of this.sinks) sink.setPacketHandler(async () => ({ accept: true }));
    this.server = await this.libs.createServer({
      plugin: this.libs.createPlugin(`btp+ws://receiver:@127.0.0.1:${this.bob.btpPort}`),
      disconnectDelay: 1,
    });
    this.server.on('connection', (connection: StreamConnection) => {
      const receipt = this.receipts.get(connection.connectionTag ?? '');
      if (receipt === undefined) return;
      receipt.connection = connection;
      connection.on('stream', (stream) => {
        stream.setReceiveMax('18446744073709551615');
        stream.on('money', (amount: string) => {
          receipt.total += BigInt(amount);
          this.stats.streamReceived += BigInt(amount);
          if (receipt.total >= PAYMENT_AMOUNT) receipt.paid();
        });
      });
    });
    this.payments = this.pay();
    if (ratePerSecond > 0) this.startFlow(ratePerSecond);
  }

  private async pay(): Promise<void> {
    for (let i = 0; i < PAYMENT_COUNT && !this.stopped; i++) {
      try {
        await this.payOnce(`payment-${i + 1}`);
        this.stats.paymentsDone++;
      } catch (error) {
        this.stats.paymentsFailed++;
        this.stats.lastError = `payment ${i + 1}: ${(error as Error).message}`;
      }
    }
  }

  private async payOnce(tag: string): Promise<void> {
    const server = this.server!;
    const { destinationAccount, sharedSecret } = server.generateAddressAndSecret(tag);
    let paid = () => {};
    const receipt: Receipt = {
      total: 0n,
      connection: undefined,
      paid: () => paid(),
    };
    const received = new Promise<void>((resolve) => {
      paid = resolve;
    });
    this.receipts.set(tag, receipt);
    const client = await this.libs.createConnection({
      plugin: this.libs.createPlugin(`btp+ws://sender:@127.0.0.1:${this.alice.btpPort}`),
      destinationAccount,
      sharedSecret,
      slippage: 0,
    });
    this.open.add(client);
    try {
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await client.createStream().sendTotal(PAYMENT_AMOUNT.toString(), { timeout: PAYMENT_TIMEOUT_MS });
      await received;
      this.stats.streamDelivered += BigInt(client.totalDelivered);
      if (receipt.total !== PAYMENT_AMOUNT) throw new Error(`received ${receipt.total} of ${PAYMENT_AMOUNT}`);
      // The server closes each connection once paid: the order that ends cleanly with 2.7.1.
      await receipt.connection?.end();
      await closed;
    } finally {
      this.open.delete(client);
      this.receipts.delete(tag);
    }
  }

  private startFlow(ratePerSecond: number): void {
    const destinations = this.sinks.map((sink) => `${sink.getIlpAddress()}.flow`);
    // Ticks of 100 ms carry a tenth of the rate each (the remainder carried over).
    let due = 0;
    let seq = 0;
    this.flowTimer = setInterval(() => {
      due += ratePerSecond / 10;
      while (due >= 1 && this.inFlight < FLOW_MAX_IN_FLIGHT) {
        due -= 1;
        const data = Buffer.from(`demo packet ${++seq}`);
        this.inFlight++;
        this.alice
          .sendPacket({
            destination: destinations[seq % destinations.length]!,
            amount: FLOW_PACKET_AMOUNT,
            executionCondition: computeConditionFromData(data),
            expiresAt: new Date(Date.now() + FLOW_EXPIRY_MS),
            data,
          })
          .then(
            (reply) => {
              if (reply.type === 13) this.stats.flowFulfilled++;
              else {
                this.stats.flowRejected++;
                this.stats.lastError = `packet rejected ${reply.code}: ${reply.message}`;
              }
            },
            (error: Error) => {
              this.stats.flowRejected++;
              this.stats.lastError = error.message;
            },
          )
          .finally(() => this.inFlight--);
      }
      if (due >= 1) due = 1; // at the in-flight bound: drop the backlog rather than burst later
    }, 100);
  }

  get paymentsFinished(): boolean {
    return this.stats.paymentsDone + this.stats.paymentsFailed >= PAYMENT_COUNT;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.flowTimer);
    for (const client of this.open) await client.destroy().catch(() => undefined);
    await this.payments?.catch(() => undefined);
    await this.server?.close().catch(() => undefined);
  }
}
