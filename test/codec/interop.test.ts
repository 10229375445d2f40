/**
 * Our codecs against the npm reference codecs on random valid packets (fast-check, seeded):
 * byte-identical encodings, and each side decodes the other's output to the same fields.
 * ilp-packet and btp-packet take amounts as decimal strings and bytes as Buffers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BtpPacket from 'btp-packet';
import fc from 'fast-check';
import IlpPacket from 'ilp-packet';
import Ildcp from 'ilp-protocol-ildcp';
import {
  decodeBtpPacket,
  decodeFulfill,
  decodeIldcpResponse,
  decodePrepare,
  decodeReject,
  encodeBtpPacket,
  encodeFulfill,
  encodeIldcpResponse,
  encodePrepare,
  encodeReject,
  ILDCP_CONDITION,
  ILDCP_DESTINATION,
  ILDCP_FULFILLMENT,
  type BtpPacket as OurBtpPacket,
  type ProtocolData,
} from '../../src/codec/index.js';
import {
  addressArb,
  btpArb,
  dateArb,
  fulfillArb,
  prepareArb,
  record,
  rejectArb,
  textArb,
  toHex,
} from './helpers.js';

const RUNS = { seed: 20_240_601, numRuns: 300 };
const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes);

describe('interop with ilp-packet 3.1.3', () => {
  it('Prepare: same bytes, each decodes the other', () => {
    fc.assert(
      fc.property(prepareArb(1000), (p) => {
        const ours = encodePrepare(p);
        const ref = IlpPacket.serializeIlpPrepare({
          amount: p.amount.toString(),
          expiresAt: p.expiresAt,
          executionCondition: buf(p.executionCondition),
          destination: p.destination,
          data: buf(p.data),
        });
        assert.equal(toHex(ours), ref.toString('hex'));
        const theirs = IlpPacket.deserializeIlpPrepare(buf(ours));
        assert.equal(theirs.amount, p.amount.toString());
        assert.equal(theirs.expiresAt.getTime(), p.expiresAt.getTime());
        assert.equal(theirs.destination, p.destination);
        assert.equal(theirs.executionCondition.toString('hex'), toHex(p.executionCondition));
        assert.equal(theirs.data.toString('hex'), toHex(p.data));
        assert.deepStrictEqual(decodePrepare(ref), p);
      }),
      RUNS,
    );
  });

  it('Fulfill: same bytes, each decodes the other', () => {
    fc.assert(
      fc.property(fulfillArb, (p) => {
        const ours = encodeFulfill(p);
        const ref = IlpPacket.serializeIlpFulfill({ fulfillment: buf(p.fulfillment), data: buf(p.data) });
        assert.equal(toHex(ours), ref.toString('hex'));
        const theirs = IlpPacket.deserializeIlpFulfill(buf(ours));
        assert.equal(theirs.fulfillment.toString('hex'), toHex(p.fulfillment));
        assert.equal(theirs.data.toString('hex'), toHex(p.data));
        assert.deepStrictEqual(decodeFulfill(ref), p);
      }),
      RUNS,
    );
  });

  it('Reject: same bytes, each decodes the other', () => {
    fc.assert(
      fc.property(rejectArb, (p) => {
        const ours = encodeReject(p);
        const ref = IlpPacket.serializeIlpReject({ ...p, data: buf(p.data) });
        assert.equal(toHex(ours), ref.toString('hex'));
        const theirs = IlpPacket.deserializeIlpReject(buf(ours));
        const { code, triggeredBy, message } = theirs;
        assert.deepStrictEqual(
          { code, triggeredBy, message, data: theirs.data.toString('hex') },
          { code: p.code, triggeredBy: p.triggeredBy, message: p.message, data: toHex(p.data) },
        );
        assert.deepStrictEqual(decodeReject(ref), p);
      }),
      RUNS,
    );
  });
});

/** btp-packet's shape of a packet: data nested, amounts as strings, bytes as Buffers. */
function toReference(p: OurBtpPacket): BtpPacket.BtpPacket {
  const protocolData = p.protocolData.map((e) => ({ ...e, data: buf(e.data) }));
  switch (p.type) {
    case 7:
      return { type: 7, requestId: p.requestId, data: { amount: p.amount.toString(), protocolData } };
    case 2: {
      const { code, name, triggeredAt, data } = p;
      return {
        type: 2,
        requestId: p.requestId,
        data: { code, name, triggeredAt: triggeredAt.toISOString(), data, protocolData },
      };
    }
    default:
      return { type: p.type, requestId: p.requestId, data: { protocolData } } as BtpPacket.BtpPacket;
  }
}

/** btp-packet's decoded packet in our shape. */
function fromReference(ref: ReturnType<typeof BtpPacket.deserialize>): unknown {
  const data = ref.data as Record<string, unknown> & {
    protocolData: { protocolName: string; contentType: number; data: Buffer }[];
  };
  const protocolData: ProtocolData[] = data.protocolData.map((e) => ({ ...e, data: new Uint8Array(e.data) }));
  const base = { type: ref.type, requestId: ref.requestId };
  if (ref.type === 7) return { ...base, amount: BigInt(data.amount as string), protocolData };
  if (ref.type === 2) {
    const {
      code,
      name,
      triggeredAt,
      data: text,
    } = data as unknown as { code: string; name: string; triggeredAt: Date; data: string };
    return { ...base, code, name, triggeredAt, data: text, protocolData };
  }
  return { ...base, protocolData };
}

describe('interop with btp-packet 2.2.1', () => {
  it('Message, Response, Transfer and Error: same bytes, each decodes the other', () => {
    fc.assert(
      fc.property(btpArb(1000), (p) => {
        const ours = encodeBtpPacket(p);
        const ref = BtpPacket.serialize(toReference(p));
        assert.equal(toHex(ours), ref.toString('hex'));
        assert.deepStrictEqual(fromReference(BtpPacket.deserialize(buf(ours))), p);
        assert.deepStrictEqual(decodeBtpPacket(ref), p);
      }),
      RUNS,
    );
  });

  it('a Message carrying an ILP Prepare, as ilp-plugin-btp sends it', () => {
    fc.assert(
      fc.property(prepareArb(1000), fc.integer({ min: 0, max: 0xffff_ffff }), (p, requestId) => {
        const ilp = encodePrepare(p);
        const ours = encodeBtpPacket({
          type: 6,
          requestId,
          protocolData: [{ protocolName: 'ilp', contentType: 0, data: ilp }],
        });
        const ref = BtpPacket.serializeMessage(requestId, [
          { protocolName: 'ilp', contentType: 0, data: buf(ilp) },
        ]);
        assert.equal(toHex(ours), ref.toString('hex'));
        assert.deepStrictEqual(decodePrepare(decodeBtpPacket(ref).protocolData[0]!.data), p);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});

describe('interop with ilp-protocol-ildcp 2.2.3', () => {
  const infoArb = record({
    clientAddress: addressArb,
    assetScale: fc.integer({ min: 0, max: 255 }),
    assetCode: textArb(10),
  });

  it('response Fulfill: same bytes, each decodes the other', () => {
    fc.assert(
      fc.property(infoArb, (info) => {
        const ours = encodeFulfill({ fulfillment: ILDCP_FULFILLMENT, data: encodeIldcpResponse(info) });
        assert.equal(toHex(ours), Ildcp.serializeIldcpResponse(info).toString('hex'));
        assert.deepStrictEqual({ ...Ildcp.deserializeIldcpResponse(buf(ours)) }, info);
        assert.deepStrictEqual(
          decodeIldcpResponse(decodeFulfill(Ildcp.serializeIldcpResponse(info)).data),
          info,
        );
      }),
      RUNS,
    );
  });

  it('request Prepare: same bytes, and ours is accepted as an IL-DCP request', () => {
    fc.assert(
      fc.property(dateArb(2000), (expiresAt) => {
        const empty = new Uint8Array(0);
        const ours = encodePrepare({
          amount: 0n,
          expiresAt,
          executionCondition: ILDCP_CONDITION,
          destination: ILDCP_DESTINATION,
          data: empty,
        });
        assert.equal(toHex(ours), Ildcp.serializeIldcpRequest({ expiresAt }).toString('hex'));
      }),
      { ...RUNS, numRuns: 100 },
    );
    const soon = encodePrepare({
      amount: 0n,
      expiresAt: new Date(Date.now() + 60_000),
      executionCondition: ILDCP_CONDITION,
      destination: ILDCP_DESTINATION,
      data: new Uint8Array(0),
    });
    assert.equal(Ildcp.deserializeIldcpRequest(buf(soon)).data?.length, 0);
  });
});
