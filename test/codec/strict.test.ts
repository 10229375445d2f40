/**
 * Strictness: what a canonical encoder would never write is refused, at every layer, and the
 * encoders refuse values they cannot write faithfully.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBtpPacket,
  decodeFulfill,
  decodeIldcpResponse,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  encodeBtpPacket,
  encodeFulfill,
  encodeIldcpResponse,
  encodeIlpPacket,
  encodePrepare,
  encodeReject,
  isValidAddress,
  MAX_DATA_LENGTH,
  MAX_MESSAGE_LENGTH,
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
  loadFixture,
  samplePrepare as prepare,
  rawPrepareContent,
  rawRejectContent,
  varOctets,
} from './helpers.js';

describe('length determinants and VarUInts must be minimal (RFC 30)', () => {
  it('refuses a long-form envelope length below 128', () => {
    assertCodecError(() => decodePrepare(ilpEnvelope(12, rawPrepareContent(), true)), 'envelope');
    decodePrepare(ilpEnvelope(12, rawPrepareContent()));
  });
  it('refuses long-form destination and data lengths below 128', () => {
    assertCodecError(
      () => decodePrepare(ilpEnvelope(12, rawPrepareContent({ longDestinationLength: true }))),
      'destination',
    );
    assertCodecError(
      () => decodePrepare(ilpEnvelope(12, rawPrepareContent({ longDataLength: true }))),
      'data',
    );
  });
  it('refuses a long-form length with a leading zero byte', () => {
    const content = rawPrepareContent({ data: new Uint8Array(150) });
    assert.ok(content.length > 127 && content.length < 256);
    const bytes = concat([12, 0x82, 0x00, content.length], content);
    assertCodecError(() => decodePrepare(bytes), 'leading zero');
  });
  it('refuses a BTP protocolData count with a leading zero', () => {
    assertCodecError(() => decodeBtpPacket(btpEnvelope(6, 1, fromHex('020000'))), 'count 0x0000');
    assertCodecError(() => decodeBtpPacket(btpEnvelope(6, 1, fromHex('00'))), 'count of length 0');
    assert.deepStrictEqual(decodeBtpPacket(btpEnvelope(6, 1, fromHex('0100'))).protocolData, []);
  });
});

describe('trailing bytes are refused', () => {
  const packets: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    ['Prepare', encodePrepare(prepare), decodePrepare],
    ['Fulfill', encodeFulfill({ fulfillment: new Uint8Array(32), data: EMPTY }), decodeFulfill],
    ['Reject', encodeReject({ code: 'F02', triggeredBy: 'g.a', message: 'm', data: EMPTY }), decodeReject],
  ];
  for (const [name, bytes, decode] of packets) {
    it(`after the ${name} envelope and inside its content`, () => {
      assertCodecError(() => decode(concat(bytes, [0])), 'after envelope');
      const first = bytes[1]!;
      const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
      const content = concat(bytes.subarray(header), [0]);
      assertCodecError(() => decode(ilpEnvelope(bytes[0]!, content)), 'inside content');
    });
  }
  it('after a BTP packet and inside its content', () => {
    const bytes = encodeBtpPacket({ type: 6, requestId: 9, protocolData: [] });
    assertCodecError(() => decodeBtpPacket(concat(bytes, [0])), 'after envelope');
    assertCodecError(() => decodeBtpPacket(btpEnvelope(6, 9, fromHex('010000'))), 'inside content');
  });
  it('after IL-DCP response data', () => {
    const bytes = encodeIldcpResponse({ clientAddress: 'g.a', assetScale: 2, assetCode: 'USD' });
    assertCodecError(() => decodeIldcpResponse(concat(bytes, [0])), 'IL-DCP');
  });
});

describe('truncation anywhere is refused', () => {
  const ilp = loadFixture<{ valid: { hex: string }[] }>('ilp-packets.json').valid.map((v) => fromHex(v.hex));
  const btp = loadFixture<{ valid: { hex: string }[] }>('btp-packets.json').valid.map((v) => fromHex(v.hex));
  it('ILP packets cut at every position, with and without a matching envelope length', () => {
    for (const bytes of [...ilp, encodePrepare(prepare)]) {
      for (let k = 0; k < bytes.length; k++)
        assertCodecError(() => decodeIlpPacket(bytes.subarray(0, k)), `cut at ${k}`);
      const first = bytes[1]!;
      const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
      for (let k = header; k < bytes.length; k++) {
        const reframed = ilpEnvelope(bytes[0]!, bytes.subarray(header, k));
        assertCodecError(() => decodeIlpPacket(reframed), `content cut at ${k - header}`);
      }
    }
  });
  it('BTP packets cut at every position, with and without a matching envelope length', () => {
    for (const bytes of btp) {
      for (let k = 0; k < bytes.length; k++)
        assertCodecError(() => decodeBtpPacket(bytes.subarray(0, k)), `cut at ${k}`);
      const requestId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
      const header = bytes[5]! < 0x80 ? 6 : 6 + (bytes[5]! & 0x7f);
      for (let k = header; k < bytes.length; k++) {
        assertCodecError(
          () => decodeBtpPacket(btpEnvelope(bytes[0]!, requestId, bytes.subarray(header, k))),
          `content cut at ${k}`,
        );
      }
    }
  });
});

describe('addresses (RFC 15)', () => {
  const prepareTo = (destination: string): Uint8Array =>
    ilpEnvelope(12, rawPrepareContent({ destination: ascii(destination) }));
  it('accepts every scheme, refuses others, on encode and decode', () => {
    for (const scheme of [
      'g',
      'private',
      'example',
      'peer',
      'self',
      'test',
      'test1',
      'test2',
      'test3',
      'local',
    ]) {
      assert.equal(decodePrepare(prepareTo(`${scheme}.alice`)).destination, `${scheme}.alice`);
    }
    for (const bad of [
      'test4.alice',
      'G.alice',
      'what.alice',
      'g',
      'g.',
      'g..a',
      '.g.a',
      'g.a.',
      'g.a b',
      'g.a!',
      'g.é',
      'g.a\n',
    ]) {
      assertCodecError(() => decodePrepare(prepareTo(bad)), bad);
      assertCodecError(() => encodePrepare({ ...prepare, destination: bad }), bad);
    }
  });
  it('allows 1023 characters, refuses 1024', () => {
    const longest = 'g.'.padEnd(1023, 'x');
    assert.equal(decodePrepare(encodePrepare({ ...prepare, destination: longest })).destination, longest);
    assertCodecError(() => decodePrepare(prepareTo(`${longest}x`)), '1024');
    assertCodecError(() => encodePrepare({ ...prepare, destination: `${longest}x` }), '1024');
    assert.equal(isValidAddress(`${longest}x`), false);
  });
  it('applies to a non-empty Reject triggeredBy and the IL-DCP address', () => {
    assertCodecError(
      () => decodeReject(ilpEnvelope(14, rawRejectContent('F00', ascii('g.a!'), EMPTY, EMPTY))),
      'triggeredBy',
    );
    assert.equal(decodeReject(ilpEnvelope(14, rawRejectContent('F00', EMPTY, EMPTY, EMPTY))).triggeredBy, '');
    assertCodecError(
      () => encodeIldcpResponse({ clientAddress: 'nope', assetScale: 0, assetCode: '' }),
      'IL-DCP',
    );
  });
});

describe('size bounds of RFC 27', () => {
  it('data: 32767 bytes pass, 32768 are refused', () => {
    const max = new Uint8Array(MAX_DATA_LENGTH);
    assert.equal(decodePrepare(encodePrepare({ ...prepare, data: max })).data.length, MAX_DATA_LENGTH);
    assert.equal(
      decodeFulfill(encodeFulfill({ fulfillment: new Uint8Array(32), data: max })).data.length,
      MAX_DATA_LENGTH,
    );
    const over = new Uint8Array(MAX_DATA_LENGTH + 1);
    assertCodecError(() => encodePrepare({ ...prepare, data: over }), 'encode Prepare');
    assertCodecError(() => encodeFulfill({ fulfillment: new Uint8Array(32), data: over }), 'encode Fulfill');
    assertCodecError(
      () => encodeReject({ code: 'F00', triggeredBy: '', message: '', data: over }),
      'encode Reject',
    );
    assertCodecError(
      () => decodePrepare(ilpEnvelope(12, rawPrepareContent({ data: over }))),
      'decode Prepare',
    );
    assertCodecError(
      () => decodeFulfill(ilpEnvelope(13, concat(new Uint8Array(32), varOctets(over)))),
      'decode Fulfill',
    );
  });
  it('reject message: 8191 bytes pass, 8192 are refused, counted in UTF-8 bytes', () => {
    const reject = { code: 'F99', triggeredBy: 'g.a', data: EMPTY };
    assert.equal(
      decodeReject(encodeReject({ ...reject, message: 'm'.repeat(MAX_MESSAGE_LENGTH) })).message.length,
      8191,
    );
    assertCodecError(() => encodeReject({ ...reject, message: 'm'.repeat(MAX_MESSAGE_LENGTH + 1) }), 'ASCII');
    assertCodecError(() => encodeReject({ ...reject, message: '€'.repeat(2731) }), '8193 UTF-8 bytes');
    const raw = rawRejectContent('F99', ascii('g.a'), new Uint8Array(8192).fill(0x61), EMPTY);
    assertCodecError(() => decodeReject(ilpEnvelope(14, raw)), 'decode');
  });
  it('reject message must be valid UTF-8', () => {
    for (const hex of ['c0af', 'eda080', 'e282', 'ff', '80', 'f4908080', 'f8888080']) {
      const raw = rawRejectContent('F00', EMPTY, fromHex(hex), EMPTY);
      assertCodecError(() => decodeReject(ilpEnvelope(14, raw)), hex);
    }
    const ok = rawRejectContent('F00', EMPTY, Buffer.from('naïve €𝄞'), EMPTY);
    assert.equal(decodeReject(ilpEnvelope(14, ok)).message, 'naïve €𝄞');
  });
  it('reject code: 3 printable ASCII characters', () => {
    assertCodecError(
      () => decodeReject(ilpEnvelope(14, rawRejectContent('F\u00000', EMPTY, EMPTY, EMPTY))),
      'NUL',
    );
    for (const code of ['F0', 'F000', 'F0\u00e9', '']) {
      assertCodecError(() => encodeReject({ code, triggeredBy: '', message: '', data: EMPTY }), code);
    }
  });
});

describe('ILP encoders refuse what they cannot write', () => {
  it('amount, condition and fulfillment sizes', () => {
    for (const amount of [-1n, 1n << 64n])
      assertCodecError(() => encodePrepare({ ...prepare, amount }), `amount ${amount}`);
    assertCodecError(
      () => encodePrepare({ ...prepare, executionCondition: new Uint8Array(31) }),
      'condition',
    );
    assertCodecError(() => encodeFulfill({ fulfillment: new Uint8Array(33), data: EMPTY }), 'fulfillment');
    assertCodecError(() => encodeIlpPacket({ ...prepare, amount: -5n }), 'encodeIlpPacket');
  });
  it('patchPrepare only patches a Prepare, and only to a UInt64 amount', () => {
    const bytes = encodePrepare(prepare);
    assertCodecError(
      () => patchPrepare(encodeFulfill({ fulfillment: new Uint8Array(32), data: EMPTY }), 1n, 0),
      'Fulfill',
    );
    assertCodecError(() => patchPrepare(bytes.subarray(0, 20), 1n, 0), 'short');
    assertCodecError(() => patchPrepare(bytes, -1n, 0), 'negative');
    assertCodecError(() => patchPrepare(bytes, 1n << 64n, 0), 'too large');
  });
});
