/**
 * Length determinants at the short/long boundary (RFC 30 §"Length determinant"), run by every
 * decoder that reads one: the ILP envelope and fields (RFC 27), the BTP envelope and protocol
 * data (RFC 23), the IL-DCP response's fields (RFC 31). The cases are shared data
 * (test/fixtures/oer.json `framedLengths`), so a decoder that takes a shortcut of its own is
 * held to the same boundary as the OER reader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBtpPacket,
  decodeFulfill,
  decodeIldcpResponse,
  decodePrepare,
  decodeReject,
} from '../../src/codec/index.js';
import {
  ascii,
  assertCodecError,
  btpEnvelope,
  concat,
  fromHex,
  loadFixture,
  rawPrepareContent,
  varOctets,
} from './helpers.js';

interface FramedLength {
  length: number;
  determinant: string;
  valid: boolean;
  reason?: string;
}
const { cases } = loadFixture<{ framedLengths: { cases: FramedLength[] } }>('oer.json').framedLengths;

/** determinant ‖ `length` bytes of `fill`. */
const framed = (c: FramedLength, fill = 0x61): Uint8Array =>
  concat(fromHex(c.determinant), new Uint8Array(c.length).fill(fill));

/** An ILP or BTP header followed by content of exactly `c.length` bytes, framed by the case. */
const envelope = (header: number[], c: FramedLength, content: Uint8Array): Uint8Array => {
  assert.equal(content.length, c.length, 'content sized to the case');
  return concat(header, fromHex(c.determinant), content);
};

/** `build(padding)` of exactly `n` bytes: the padding shrinks by what its own length prefix takes. */
function sized(n: number, build: (padding: Uint8Array) => Uint8Array): Uint8Array {
  for (let pad = n; pad >= 0; pad--) {
    const bytes = build(new Uint8Array(pad));
    if (bytes.length === n) return bytes;
  }
  throw new Error(`no content of ${n} bytes`);
}

/** Prepare content of exactly `n` bytes (its data pads it). */
const prepareContentOf = (n: number) => sized(n, (data) => rawPrepareContent({ data }));

/** A BTP Message content of exactly `n` bytes: one protocolData entry whose data pads it. */
const btpMessageContentOf = (n: number) =>
  sized(n, (data) => concat([1, 1], varOctets(ascii('ilp')), [0], varOctets(data)));

/** RFC 31 bounds an asset code at 255 bytes: longer cases do not apply to it. */
const MAX_ASSET_CODE_BYTES = 255;

/** Each decoder, given the case: the decoded field's length, or a CodecError; and its bound. */
const decoders: [string, (c: FramedLength) => number, number?][] = [
  [
    'ILP envelope',
    (c) => {
      const content = prepareContentOf(c.length);
      decodePrepare(envelope([12], c, content));
      return content.length;
    },
  ],
  [
    'ILP Prepare data',
    (c) => {
      const content = concat(rawPrepareContent().subarray(0, -1), framed(c));
      return decodePrepare(concat([12], varOctets(content))).data.length;
    },
  ],
  [
    'ILP Prepare destination',
    (c) => {
      const destination = concat(fromHex(c.determinant), ascii(`g.${'a'.repeat(c.length - 2)}`));
      const content = concat(
        rawPrepareContent().subarray(0, 8 + 17 + 32),
        destination,
        varOctets(new Uint8Array(0)),
      );
      return decodePrepare(concat([12], varOctets(content))).destination.length;
    },
  ],
  [
    'ILP Fulfill data',
    (c) => decodeFulfill(concat([13], varOctets(concat(new Uint8Array(32), framed(c))))).data.length,
  ],
  [
    'ILP Reject message',
    (c) => {
      const content = concat(ascii('F00'), varOctets(ascii('g.a')), framed(c), varOctets(new Uint8Array(0)));
      return decodeReject(concat([14], varOctets(content))).message.length;
    },
  ],
  [
    'BTP envelope',
    (c) => {
      const content = btpMessageContentOf(c.length);
      decodeBtpPacket(envelope([6, 0, 0, 0, 1], c, content));
      return content.length;
    },
  ],
  [
    'BTP protocol data',
    (c) => {
      const content = concat([1, 1], varOctets(ascii('ilp')), [0], framed(c));
      return decodeBtpPacket(btpEnvelope(6, 1, content)).protocolData[0]!.data.length;
    },
  ],
  [
    'IL-DCP address',
    (c) => {
      const address = concat(fromHex(c.determinant), ascii(`g.${'a'.repeat(c.length - 2)}`));
      return decodeIldcpResponse(concat(address, [9], varOctets(ascii('USD')))).clientAddress.length;
    },
  ],
  [
    'IL-DCP asset code',
    (c) => decodeIldcpResponse(concat(varOctets(ascii('g.a')), [9], framed(c))).assetCode.length,
    MAX_ASSET_CODE_BYTES,
  ],
];

/**
 * A CodecError that names the determinant: a decoder that let it through and then tripped on
 * the bytes after it (a wrong offset, trailing bytes) would pass a plain CodecError check.
 */
function assertRefusedAsNonMinimal(fn: () => unknown, what: string): void {
  assertCodecError(fn, what);
  assert.throws(fn, /length determinant (must use the short form|is not minimal)/, what);
}

describe('length determinants at the 127/128 boundary, in every decoder (RFC 30)', () => {
  it('the shared cases include the boundary on both sides', () => {
    assert.ok(cases.some((c) => c.determinant === '817f' && !c.valid));
    assert.ok(cases.some((c) => c.determinant === '8180' && c.valid));
  });
  for (const [name, decode, maxLength = Number.POSITIVE_INFINITY] of decoders) {
    it(name, () => {
      for (const c of cases.filter((k) => k.length <= maxLength)) {
        const what = `${name}, ${c.length} bytes after ${c.determinant}`;
        if (c.valid) assert.equal(decode(c), c.length, what);
        else assertRefusedAsNonMinimal(() => decode(c), `${what}: ${c.reason}`);
      }
    });
  }
});
