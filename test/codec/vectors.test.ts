/**
 * Public test vectors (test/fixtures/*.json, each entry naming its source): every valid vector
 * decodes to the recorded fields and re-encodes to the same bytes; every invalid one is refused
 * with a CodecError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BtpPacket,
  decodeBtpPacket,
  decodeFulfill,
  decodeIldcpResponse,
  decodeIlpPacket,
  decodeIlpReply,
  decodePrepare,
  decodeReject,
  encodeBtpPacket,
  encodeFulfill,
  encodeIldcpResponse,
  encodeIlpPacket,
  ILDCP_CONDITION,
  ILDCP_DESTINATION,
  ILDCP_FULFILLMENT,
  isValidAddress,
} from '../../src/codec/index.js';
import { Reader, Writer } from '../../src/codec/oer.js';
import {
  readGeneralizedTime,
  readIlpTimestamp,
  writeGeneralizedTime,
  writeIlpTimestamp,
} from '../../src/codec/time.js';
import { ascii, assertCodecError, fromHex, loadFixture, toHex } from './helpers.js';

type Json = Record<string, unknown>;
interface Vector {
  name?: string;
  source: string;
  hex: string;
  decoder?: string;
  reason?: string;
}
interface Family<V> {
  valid: (Vector & V)[];
  invalid: Vector[];
}

/** Our decoded packet with bytes as hex, bigints and dates as strings: comparable to a fixture. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const ilp = loadFixture<Family<{ packet: Json }>>('ilp-packets.json');
const ILP_DECODERS: Record<string, (b: Uint8Array) => unknown> = {
  prepare: decodePrepare,
  fulfill: decodeFulfill,
  reject: decodeReject,
  reply: decodeIlpReply,
  packet: decodeIlpPacket,
};

describe('ILP packet vectors', () => {
  for (const v of ilp.valid) {
    it(`decodes and re-encodes ${v.name}`, () => {
      const bytes = fromHex(v.hex);
      const packet = decodeIlpPacket(bytes);
      assert.deepStrictEqual(plain(packet), v.packet, v.source);
      assert.equal(toHex(encodeIlpPacket(packet)), v.hex);
      // The typed decoder agrees, on a Buffer as well as a Uint8Array.
      const typed = ILP_DECODERS[{ 12: 'prepare', 13: 'fulfill', 14: 'reject' }[packet.type]]!;
      assert.deepStrictEqual(plain(typed(Buffer.from(bytes))), v.packet);
      if (packet.type !== 12) assert.deepStrictEqual(plain(decodeIlpReply(bytes)), v.packet);
    });
  }
  for (const v of ilp.invalid) {
    it(`refuses ${v.name} (${v.reason})`, () => {
      const decode = ILP_DECODERS[v.decoder ?? 'packet'];
      assert.ok(decode, `unknown decoder ${v.decoder}`);
      assertCodecError(() => decode(fromHex(v.hex)), `${v.name} from ${v.source}`);
    });
  }
});

const btp = loadFixture<Family<{ packet: Json }>>('btp-packets.json');

describe('BTP packet vectors', () => {
  for (const v of btp.valid) {
    it(`decodes and re-encodes ${v.name} (${v.source.split(' ')[0]})`, () => {
      const packet: BtpPacket = decodeBtpPacket(fromHex(v.hex));
      assert.deepStrictEqual(plain(packet), v.packet);
      assert.equal(toHex(encodeBtpPacket(packet)), v.hex);
    });
  }
  for (const v of btp.invalid) {
    it(`refuses ${v.name} (${v.reason})`, () => {
      assertCodecError(() => decodeBtpPacket(fromHex(v.hex)), `${v.name} from ${v.source}`);
    });
  }
});

interface IldcpFixture extends Family<{ response: Json }> {
  condition: { hex: string };
  fulfillment: { hex: string };
  request: { hex: string };
  responseFulfill: { hex: string };
}
const ildcp = loadFixture<IldcpFixture>('ildcp.json');

describe('IL-DCP vectors', () => {
  it('uses the condition and fulfillment of RFC 31', () => {
    assert.equal(toHex(ILDCP_CONDITION), ildcp.condition.hex);
    assert.equal(toHex(ILDCP_FULFILLMENT), ildcp.fulfillment.hex);
  });
  it('reads the reference request as a Prepare to peer.config with that condition', () => {
    const prepare = decodePrepare(fromHex(ildcp.request.hex));
    assert.equal(prepare.destination, ILDCP_DESTINATION);
    assert.deepStrictEqual(prepare.executionCondition, ILDCP_CONDITION);
    assert.equal(prepare.amount, 0n);
  });
  it('builds the reference response Fulfill', () => {
    const data = encodeIldcpResponse({ clientAddress: 'example.client', assetScale: 13, assetCode: 'XAM' });
    assert.equal(toHex(encodeFulfill({ fulfillment: ILDCP_FULFILLMENT, data })), ildcp.responseFulfill.hex);
  });
  for (const v of ildcp.valid) {
    it(`decodes and re-encodes ${JSON.stringify(v.response)}`, () => {
      const response = decodeIldcpResponse(fromHex(v.hex));
      assert.deepStrictEqual(response, v.response);
      assert.equal(toHex(encodeIldcpResponse(response)), v.hex);
    });
  }
  for (const v of ildcp.invalid) {
    it(`refuses ${v.reason}`, () =>
      assertCodecError(() => decodeIldcpResponse(fromHex(v.hex)), v.reason ?? ''));
  }
});

interface TimeCase {
  text: string;
  iso?: string;
  reason?: string;
  source: string;
}
interface TimeFamily {
  valid: TimeCase[];
  invalid: TimeCase[];
  encode: TimeCase[];
}
const times = loadFixture<{ ilpTimestamp: TimeFamily; generalizedTime: TimeFamily }>('timestamps.json');

describe('timestamp vectors (RFC 30)', () => {
  for (const v of times.ilpTimestamp.valid) {
    it(`reads ILP timestamp ${v.text}`, () => {
      assert.equal(new Date(readIlpTimestamp(ascii(v.text))).toISOString(), v.iso);
      const out = new Uint8Array(17);
      writeIlpTimestamp(Date.parse(v.iso!), out, 0);
      assert.equal(Buffer.from(out).toString('latin1'), v.text);
    });
  }
  for (const v of times.ilpTimestamp.invalid) {
    it(`refuses ILP timestamp "${v.text}" (${v.reason})`, () =>
      assertCodecError(() => readIlpTimestamp(ascii(v.text)), v.text));
  }
  for (const v of times.ilpTimestamp.encode) {
    it(`writes ${v.iso} as ${v.text}`, () => {
      const out = new Uint8Array(17);
      writeIlpTimestamp(Date.parse(v.iso!), out, 0);
      assert.equal(Buffer.from(out).toString('latin1'), v.text);
    });
  }
  for (const v of times.generalizedTime.valid) {
    it(`reads GeneralizedTime ${v.text}`, () =>
      assert.equal(readGeneralizedTime(v.text).toISOString(), v.iso));
  }
  for (const v of times.generalizedTime.invalid) {
    it(`refuses GeneralizedTime "${v.text}" (${v.reason})`, () =>
      assertCodecError(() => readGeneralizedTime(v.text), v.text));
  }
  for (const v of times.generalizedTime.encode) {
    it(`writes ${v.iso} as ${v.text}`, () => assert.equal(writeGeneralizedTime(new Date(v.iso!)), v.text));
  }
});

interface AddressFixture {
  valid: { address: string }[];
  invalid: { address: string; reason: string }[];
  repeat: { prefix: string; char: string; length: number; valid: boolean }[];
  encoded: { address: string; hex: string }[];
}
const addresses = loadFixture<AddressFixture>('ilp-addresses.json');

describe('ILP address vectors (RFC 15)', () => {
  it('accepts every valid address and refuses every invalid one', () => {
    for (const { address } of addresses.valid) assert.equal(isValidAddress(address), true, address);
    for (const { address, reason } of addresses.invalid)
      assert.equal(isValidAddress(address), false, `${address}: ${reason}`);
    for (const r of addresses.repeat) {
      const address = r.prefix.padEnd(r.length, r.char);
      assert.equal(isValidAddress(address), r.valid, `${r.prefix}... of ${r.length}`);
    }
  });
  for (const v of addresses.encoded) {
    it(`encodes ${v.address.slice(0, 30)}... as RFC 30 shows`, () => {
      const w = new Writer(v.hex.length / 2);
      w.writeVarAscii(v.address);
      assert.equal(toHex(w.finish()), v.hex);
      assert.equal(new Reader(fromHex(v.hex)).readVarLatin1(1023), v.address);
    });
  }
});

interface OerCase {
  hex: string;
  value?: number | string;
  reason?: string;
}
interface OerFixture {
  lengthDeterminant: { valid: OerCase[]; invalid: OerCase[] };
  varUInt: { valid: OerCase[]; invalid: OerCase[] };
  uint64: OerCase[];
}
const oer = loadFixture<OerFixture>('oer.json');

describe('OER primitive vectors (RFC 30)', () => {
  it('reads and writes length determinants', () => {
    for (const v of oer.lengthDeterminant.valid) {
      const r = new Reader(fromHex(v.hex));
      assert.equal(r.readLength(), v.value, v.hex);
      r.done('length');
      const w = new Writer(v.hex.length / 2);
      w.writeLength(v.value as number);
      assert.equal(toHex(w.finish()), v.hex);
    }
    for (const v of oer.lengthDeterminant.invalid) {
      assertCodecError(() => new Reader(fromHex(v.hex)).readLength(), `${v.hex}: ${v.reason}`);
    }
  });
  it('reads and writes VarUInts', () => {
    for (const v of oer.varUInt.valid) {
      const r = new Reader(fromHex(v.hex));
      assert.equal(r.readVarUInt(), BigInt(v.value!), v.hex);
      r.done('VarUInt');
      const w = new Writer(v.hex.length / 2);
      w.writeVarUInt(BigInt(v.value!));
      assert.equal(toHex(w.finish()), v.hex);
    }
    for (const v of oer.varUInt.invalid) {
      assertCodecError(() => new Reader(fromHex(v.hex)).readVarUInt(), `${v.hex}: ${v.reason}`);
    }
  });
  it('reads and writes UInt64s', () => {
    for (const v of oer.uint64) {
      assert.equal(new Reader(fromHex(v.hex)).readUInt64(), BigInt(v.value!), v.hex);
      const w = new Writer(8);
      w.writeUInt64(BigInt(v.value!));
      assert.equal(toHex(w.finish()), v.hex);
    }
  });
});
