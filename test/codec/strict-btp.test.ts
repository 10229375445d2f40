/**
 * Strictness of timestamps in packets and of BTP (RFC 23): what a canonical encoder would never
 * write is refused, and the encoders refuse values they cannot write faithfully.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBtpPacket,
  decodePrepare,
  encodeBtpPacket,
  encodePrepare,
  patchPrepare,
} from '../../src/codec/index.js';
import {
  ascii,
  assertCodecError,
  btpEnvelope,
  concat,
  EMPTY,
  fromHex,
  ilpEnvelope,
  samplePrepare as prepare,
  rawPrepareContent,
  varOctets,
} from './helpers.js';

describe('timestamps in packets', () => {
  it('refuses impossible expiries in a Prepare', () => {
    for (const expiry of [
      '20171324161432200',
      '20170230120000000',
      '2017122416143227a',
      '20171224240000000',
      '20161231235960852',
    ]) {
      assertCodecError(() => decodePrepare(ilpEnvelope(12, rawPrepareContent({ expiry }))), expiry);
    }
  });
  it('refuses expiries that cannot be written in 17 digits', () => {
    for (const expiresAt of [
      new Date(Number.NaN),
      new Date('+010000-01-01T00:00:00Z'),
      new Date('-000001-12-31T00:00:00Z'),
    ]) {
      assertCodecError(() => encodePrepare({ ...prepare, expiresAt }), String(expiresAt));
      assertCodecError(() => patchPrepare(encodePrepare(prepare), 1n, expiresAt.getTime()), 'patch');
    }
  });
  it('reads BTP triggeredAt at several precisions and writes YYYYMMDDHHmmss.fffZ', () => {
    const at = (text: string): Date => {
      const content = concat(
        ascii('T00'),
        varOctets(ascii('E')),
        varOctets(ascii(text)),
        varOctets(EMPTY),
        [1, 0],
      );
      const packet = decodeBtpPacket(btpEnvelope(2, 1, content));
      assert.equal(packet.type, 2);
      return (packet as { triggeredAt: Date }).triggeredAt;
    };
    assert.equal(at('20171231235959Z').toISOString(), '2017-12-31T23:59:59.000Z');
    assert.equal(at('20171231235959.9Z').toISOString(), '2017-12-31T23:59:59.900Z');
    assert.equal(at('20171231235959.999Z').toISOString(), '2017-12-31T23:59:59.999Z');
    assert.equal(at('201712312359Z').toISOString(), '2017-12-31T23:59:00.000Z');
    assert.equal(at('20171231235959').toISOString(), '2017-12-31T23:59:59.000Z');
    for (const bad of [
      '20171231235959.9999Z',
      '20171231235959,9Z',
      '20171231235959+0100',
      '2017123123Z',
      '20171232000000Z',
    ]) {
      assertCodecError(() => at(bad), bad);
    }
    const written = encodeBtpPacket({
      type: 2,
      requestId: 1,
      code: 'F00',
      name: 'E',
      data: '',
      protocolData: [],
      triggeredAt: new Date('2017-12-31T23:59:59.900Z'),
    });
    assert.ok(Buffer.from(written).includes(Buffer.from('20171231235959.900Z')));
  });
});

describe('BTP specifics (RFC 23)', () => {
  it('refuses BTP 1 types 3, 4, 5 and unknown types', () => {
    for (const type of [0, 3, 4, 5, 8, 255])
      assertCodecError(() => decodeBtpPacket(btpEnvelope(type, 1, fromHex('0100'))), `type ${type}`);
    assertCodecError(
      () => encodeBtpPacket({ type: 3, requestId: 1, protocolData: [] } as never),
      'encode type 3',
    );
  });
  it('bounds protocolData at 256 entries, on decode and encode', () => {
    const entry = { protocolName: 'p', contentType: 0, data: EMPTY };
    const entries = (n: number) => Array.from({ length: n }, () => entry);
    assert.equal(
      (
        decodeBtpPacket(encodeBtpPacket({ type: 6, requestId: 1, protocolData: entries(256) })) as {
          protocolData: unknown[];
        }
      ).protocolData.length,
      256,
    );
    assertCodecError(
      () => encodeBtpPacket({ type: 6, requestId: 1, protocolData: entries(257) }),
      'encode 257',
    );
    const body = concat(fromHex('020101'), ...entries(257).map(() => fromHex('01700000')));
    assertCodecError(() => decodeBtpPacket(btpEnvelope(6, 1, body)), 'decode 257');
    assertCodecError(() => decodeBtpPacket(btpEnvelope(6, 1, fromHex('08ffffffffffffffff'))), 'count 2^64-1');
  });
  it('bounds Error data at 8192 bytes and refuses non-UTF-8 data', () => {
    const error = {
      type: 2 as const,
      requestId: 1,
      code: 'F00',
      name: 'E',
      triggeredAt: new Date(0),
      protocolData: [],
    };
    decodeBtpPacket(encodeBtpPacket({ ...error, data: 'x'.repeat(8192) }));
    assertCodecError(() => encodeBtpPacket({ ...error, data: 'x'.repeat(8193) }), 'encode 8193');
    const content = (data: Uint8Array) =>
      concat(
        ascii('F00'),
        varOctets(ascii('E')),
        varOctets(ascii('19700101000000.000Z')),
        varOctets(data),
        [1, 0],
      );
    assertCodecError(
      () => decodeBtpPacket(btpEnvelope(2, 1, content(new Uint8Array(8193).fill(0x78)))),
      'decode 8193',
    );
    assertCodecError(() => decodeBtpPacket(btpEnvelope(2, 1, content(fromHex('ff')))), 'non-UTF-8');
  });
  it('refuses values it cannot write', () => {
    const message = { type: 6 as const, requestId: 1, protocolData: [] };
    for (const requestId of [-1, 2 ** 32, 1.5, Number.NaN])
      assertCodecError(() => encodeBtpPacket({ ...message, requestId }), `id ${requestId}`);
    for (const contentType of [-1, 256, 1.5]) {
      assertCodecError(
        () =>
          encodeBtpPacket({ ...message, protocolData: [{ protocolName: 'p', contentType, data: EMPTY }] }),
        `ct ${contentType}`,
      );
    }
    assertCodecError(
      () =>
        encodeBtpPacket({
          ...message,
          protocolData: [{ protocolName: 'i\u0000', contentType: 0, data: EMPTY }],
        }),
      'name',
    );
    assertCodecError(
      () => encodeBtpPacket({ type: 7, requestId: 1, amount: -1n, protocolData: [] }),
      'amount',
    );
    assertCodecError(
      () => encodeBtpPacket({ type: 7, requestId: 1, amount: 1n << 64n, protocolData: [] }),
      'amount',
    );
  });
});
