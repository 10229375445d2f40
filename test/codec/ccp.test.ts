/**
 * CCP payloads (codec/ccp.ts) against the reference codec `ilp-protocol-ccp` 1.2.3: its vectors
 * (test/fixtures/ccp.json, written by scripts/ccp-vectors.mjs) decode to the same fields and
 * re-encode to the same bytes, and random messages encode byte for byte as the reference does
 * (fast-check, seeded). Malformed payloads throw CodecError and nothing else.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CCP_CONTROL_DESTINATION,
  CCP_UPDATE_DESTINATION,
  type CcpRouteUpdate,
  decodeCcpRouteControl,
  decodeCcpRouteUpdate,
  encodeCcpRouteControl,
  encodeCcpRouteUpdate,
  encodeFulfill,
  PEER_PROTOCOL_CONDITION,
  PEER_PROTOCOL_FULFILLMENT,
} from '../../src/codec/index.js';
import { assertCodecError, fromHex, loadFixture, toHex } from './helpers.js';

const require = createRequire(import.meta.url);
const reference = require('ilp-protocol-ccp') as {
  serializeCcpRouteControlRequestPayload(r: unknown): Buffer;
  serializeCcpRouteUpdateRequestPayload(r: unknown): Buffer;
  deserializeCcpRouteUpdateRequestPayload(b: Buffer): {
    newRoutes: { auth: Buffer; props: { isUtf8: boolean; value: Buffer | string }[] }[];
  };
};

interface Vector {
  name: string;
  hex: string;
  fields: Record<string, unknown>;
}
interface Fixture {
  destinations: { control: string; update: string };
  condition: string;
  fulfillment: string;
  response: string;
  controls: Vector[];
  updates: Vector[];
  invalidControls: { name: string; hex: string }[];
  invalidUpdates: { name: string; hex: string }[];
}
const fixture = loadFixture<Fixture>('ccp.json');

/** Our decoded update in the fixture's shape (hex for bytes, text for UTF-8 props). */
function asFixture(u: CcpRouteUpdate): Record<string, unknown> {
  return {
    ...u,
    newRoutes: u.newRoutes.map((r) => ({
      prefix: r.prefix,
      path: r.path,
      auth: toHex(r.auth),
      props: r.props.map((p) => ({
        isOptional: p.isOptional,
        isTransitive: p.isTransitive,
        isPartial: p.isPartial,
        id: p.id,
        isUtf8: p.isUtf8,
        value: p.isUtf8 ? Buffer.from(p.value).toString('utf8') : toHex(p.value),
      })),
    })),
  };
}

describe('CCP codec against ilp-protocol-ccp', () => {
  it('uses the reference destinations, condition, fulfillment and response', () => {
    assert.equal(CCP_CONTROL_DESTINATION, fixture.destinations.control);
    assert.equal(CCP_UPDATE_DESTINATION, fixture.destinations.update);
    assert.equal(toHex(PEER_PROTOCOL_CONDITION), fixture.condition);
    assert.equal(toHex(PEER_PROTOCOL_FULFILLMENT), fixture.fulfillment);
    const response = encodeFulfill({ fulfillment: PEER_PROTOCOL_FULFILLMENT, data: new Uint8Array(0) });
    assert.equal(toHex(response), fixture.response);
  });

  for (const v of fixture.controls) {
    it(`route control vector: ${v.name}`, () => {
      const decoded = decodeCcpRouteControl(fromHex(v.hex));
      assert.deepEqual(decoded, v.fields);
      assert.equal(toHex(encodeCcpRouteControl(decoded)), v.hex);
    });
  }

  for (const v of fixture.updates) {
    it(`route update vector: ${v.name}`, () => {
      const decoded = decodeCcpRouteUpdate(fromHex(v.hex));
      assert.deepEqual(asFixture(decoded), v.fields);
      assert.equal(toHex(encodeCcpRouteUpdate(decoded)), v.hex);
    });
  }

  for (const v of fixture.invalidControls) {
    it(`refuses the route control: ${v.name}`, () => {
      assertCodecError(() => decodeCcpRouteControl(fromHex(v.hex)), v.name);
    });
  }
  for (const v of fixture.invalidUpdates) {
    it(`refuses the route update: ${v.name}`, () => {
      assertCodecError(() => decodeCcpRouteUpdate(fromHex(v.hex)), v.name);
    });
  }

  const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) =>
    Buffer.from(b)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
  );
  const u32 = fc.nat({ max: 0xffff_ffff });
  const name = fc.stringMatching(/^[a-z]{1,4}(\.[A-Za-z0-9_~-]{1,12}){0,5}$/);
  const prop = fc.record({
    isOptional: fc.boolean(),
    isTransitive: fc.boolean(),
    isPartial: fc.boolean(),
    isUtf8: fc.boolean(),
    id: fc.nat({ max: 0xffff }),
    value: fc.uint8Array({ maxLength: 40 }),
  });
  const route = fc.record({
    prefix: name,
    path: fc.array(name, { maxLength: 6 }),
    auth: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    props: fc.array(prop, { maxLength: 3 }),
  });
  const update = fc.record({
    routingTableId: uuid,
    currentEpochIndex: u32,
    fromEpochIndex: u32,
    toEpochIndex: u32,
    holdDownTime: u32,
    speaker: name,
    newRoutes: fc.array(route, { maxLength: 150 }),
    withdrawnRoutes: fc.array(name, { maxLength: 150 }),
  });

  /** The reference's input shape: Buffers, and UTF-8 props as strings (ASCII here). */
  function forReference(u: CcpRouteUpdate) {
    return {
      ...u,
      newRoutes: u.newRoutes.map((r) => ({
        ...r,
        auth: Buffer.from(r.auth),
        props: r.props.map((p) => ({
          ...p,
          value: p.isUtf8
            ? Buffer.from(p.value)
                .toString('latin1')
                .replace(/[^\x20-\x7e]/g, 'x')
            : Buffer.from(p.value),
        })),
      })),
    };
  }

  it('encodes random route updates byte for byte as the reference, and decodes its bytes', () => {
    fc.assert(
      fc.property(update, (u) => {
        const ref = forReference(u);
        const theirs = reference.serializeCcpRouteUpdateRequestPayload(ref);
        const ours = encodeCcpRouteUpdate({
          ...u,
          newRoutes: ref.newRoutes.map((r) => ({
            ...r,
            props: r.props.map((p) => ({
              ...p,
              value: typeof p.value === 'string' ? new Uint8Array(Buffer.from(p.value)) : p.value,
            })),
          })),
        });
        assert.equal(toHex(ours), theirs.toString('hex'));
        const decoded = decodeCcpRouteUpdate(new Uint8Array(theirs));
        const read = reference.deserializeCcpRouteUpdateRequestPayload(theirs);
        assert.equal(decoded.newRoutes.length, read.newRoutes.length);
        assert.equal(toHex(encodeCcpRouteUpdate(decoded)), theirs.toString('hex'));
      }),
      { seed: 1016, numRuns: 300 },
    );
  });

  it('encodes random route controls byte for byte as the reference', () => {
    const control = fc.record({
      mode: fc.constantFrom(0 as const, 1 as const),
      lastKnownRoutingTableId: uuid,
      lastKnownEpoch: u32,
      features: fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(control, (c) => {
        const theirs = reference.serializeCcpRouteControlRequestPayload(c);
        assert.equal(toHex(encodeCcpRouteControl(c)), theirs.toString('hex'));
        assert.deepEqual(decodeCcpRouteControl(new Uint8Array(theirs)), { ...c, features: [...c.features] });
      }),
      { seed: 1016, numRuns: 300 },
    );
  });

  it('never throws anything but CodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        for (const decode of [decodeCcpRouteControl, decodeCcpRouteUpdate]) {
          try {
            decode(bytes);
          } catch (err) {
            assert.equal((err as Error).name, 'CodecError');
          }
        }
      }),
      { seed: 1016, numRuns: 2000 },
    );
  });
});
