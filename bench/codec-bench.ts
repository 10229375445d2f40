/**
 * Codec speed, ours against the reference npm codecs (ilp-packet 3.1.3, btp-packet 2.2.1),
 * encode and decode of a Prepare, Fulfill, Reject and a BTP Message carrying a Prepare.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/codec-bench.js [--quick]
 *
 * Not part of the test run. Each pair is measured in alternating rounds (ours, reference,
 * ours, ...) after a warm-up, and the median round is reported, so a busy machine skews both
 * sides alike. Inputs to decoders are Buffers, as a WebSocket delivers them.
 */
import { cpus } from 'node:os';
import BtpPacket from 'btp-packet';
import IlpPacket from 'ilp-packet';
import {
  BTP_TYPE,
  decodeBtpPacket,
  decodeFulfill,
  decodePrepare,
  decodeReject,
  encodeBtpPacket,
  encodeFulfill,
  encodePrepare,
  encodeReject,
} from '../src/codec/index.js';

const quick = process.argv.includes('--quick');
const ROUND_MS = quick ? 100 : 300;
const ROUNDS = quick ? 3 : 7;
const WARMUP_MS = quick ? 200 : 500;

/** A typical STREAM packet: a ~40-char destination and 180 bytes of data (long-form length). */
const condition = Buffer.alloc(32, 0xc7);
const fulfillment = Buffer.alloc(32, 0x5a);
const data = Buffer.alloc(180, 0x42);
const expiresAt = new Date('2030-06-01T12:34:56.789Z');
const destination = 'g.example.connector.alice.~stream-0aZbK3xy';
const prepare = { amount: 1_234_567n, expiresAt, executionCondition: condition, destination, data };
const refPrepare = { ...prepare, amount: '1234567' };
const fulfill = { fulfillment, data: data.subarray(0, 40) };
const reject = {
  code: 'F02',
  triggeredBy: 'g.example.connector',
  message: 'no route found',
  data: Buffer.alloc(0),
};

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes);
const prepareBytes = toBuffer(encodePrepare(prepare));
/**
 * The same Prepare to 1024 different destinations, taken in turn: our decoder interns recent
 * destinations (address-cache.ts), and this row shows the decode when that cache misses.
 */
const variedPrepares = Array.from({ length: 1024 }, (_, i) =>
  toBuffer(encodePrepare({ ...prepare, destination: `${destination}${i.toString(36)}` })),
);
let next = 0;
const nextVaried = (): Buffer => variedPrepares[next++ & 1023]!;
const fulfillBytes = toBuffer(encodeFulfill(fulfill));
const rejectBytes = toBuffer(encodeReject(reject));

function ourBtp(): Uint8Array {
  const ilp = encodePrepare(prepare);
  return encodeBtpPacket({
    type: BTP_TYPE.message,
    requestId: 42,
    protocolData: [{ protocolName: 'ilp', contentType: 0, data: ilp }],
  });
}
function refBtp(): Buffer {
  const ilp = IlpPacket.serializeIlpPrepare(refPrepare);
  return BtpPacket.serialize({
    type: BtpPacket.TYPE_MESSAGE,
    requestId: 42,
    data: { protocolData: [{ protocolName: 'ilp', contentType: 0, data: ilp }] },
  });
}
const btpBytes = toBuffer(ourBtp());

/** Runs `fn` for about `ms` milliseconds; returns operations per second. */
function run(fn: () => unknown, ms: number): number {
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 256; i++) sink ^= fn() === undefined ? 1 : 0;
    ops += 256;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink === -1) console.log(sink); // keeps the results alive
  return (ops * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Row {
  name: string;
  ours: number;
  reference: number;
}

function compare(name: string, ours: () => unknown, reference: () => unknown): Row {
  run(ours, WARMUP_MS);
  run(reference, WARMUP_MS);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(run(ours, ROUND_MS));
    b.push(run(reference, ROUND_MS));
  }
  return { name, ours: median(a), reference: median(b) };
}

const rows = [
  compare(
    'Prepare encode',
    () => encodePrepare(prepare),
    () => IlpPacket.serializeIlpPrepare(refPrepare),
  ),
  compare(
    'Prepare decode',
    () => decodePrepare(prepareBytes),
    () => IlpPacket.deserializeIlpPrepare(prepareBytes),
  ),
  compare(
    'Prepare decode, 1024 destinations',
    () => decodePrepare(nextVaried()),
    () => IlpPacket.deserializeIlpPrepare(nextVaried()),
  ),
  compare(
    'Fulfill encode',
    () => encodeFulfill(fulfill),
    () => IlpPacket.serializeIlpFulfill(fulfill),
  ),
  compare(
    'Fulfill decode',
    () => decodeFulfill(fulfillBytes),
    () => IlpPacket.deserializeIlpFulfill(fulfillBytes),
  ),
  compare(
    'Reject encode',
    () => encodeReject(reject),
    () => IlpPacket.serializeIlpReject(reject),
  ),
  compare(
    'Reject decode',
    () => decodeReject(rejectBytes),
    () => IlpPacket.deserializeIlpReject(rejectBytes),
  ),
  compare('BTP Message(Prepare) encode', ourBtp, refBtp),
  compare(
    'BTP Message(Prepare) decode',
    () => {
      const packet = decodeBtpPacket(btpBytes);
      return decodePrepare(packet.protocolData[0]!.data);
    },
    () => {
      const packet = BtpPacket.deserialize(btpBytes);
      return IlpPacket.deserializeIlpPrepare(packet.data.protocolData[0]!.data);
    },
  ),
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `node ${process.version}, ${cpu}, ${cpus().length} cores; ${ROUNDS} rounds of ${ROUND_MS} ms, median`,
);
console.log(
  `Prepare ${prepareBytes.length} B, Fulfill ${fulfillBytes.length} B, Reject ${rejectBytes.length} B, BTP ${btpBytes.length} B\n`,
);
console.log('| operation | ours (ops/s) | reference (ops/s) | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.ours)} | ${fmt(r.reference)} | ${(r.ours / r.reference).toFixed(1)}x |`);
}
