/**
 * The session writes small BTP frames as WebSocket frames itself (btp/frames.ts). They must be
 * what ws would send: byte for byte unmasked (server side), and decoded by ws's own Receiver
 * when masked (client side, RFC 6455 §5.3), at every length boundary (125/126, 65535).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import * as ws from 'ws';
import { wsBinaryFrame } from '../../src/btp/frames.js';

// ws exports its Receiver and Sender, but @types/ws does not declare them.
interface WsReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
interface WsInternals {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
}
const { Receiver, Sender } = ws as unknown as WsInternals;

function decodeWithWs(frame: Buffer, fromClient: boolean): Buffer {
  const receiver = new Receiver({ isServer: fromClient, maxPayload: 1 << 20 });
  let got: Buffer | undefined;
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    assert.equal(isBinary, true);
    got = Buffer.from(data);
  });
  receiver.on('error', (err: Error) => assert.fail(err));
  receiver.write(frame);
  assert.ok(got !== undefined, 'ws decoded a whole message');
  return got;
}

function wsOwnFrame(payload: Buffer): Buffer {
  const parts = Sender.frame(payload, { fin: true, opcode: 2, mask: false, readOnly: true, rsv1: false });
  return Buffer.concat(parts);
}

it('unmasked frames are byte-identical to ws, at the length boundaries and at random', () => {
  for (const n of [0, 1, 125, 126, 127, 300, 4096, 65535]) {
    const payload = Buffer.alloc(n, n & 0xff);
    assert.deepEqual(wsBinaryFrame(payload, false), wsOwnFrame(payload), `${n} bytes`);
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      const payload = Buffer.from(bytes);
      assert.deepEqual(wsBinaryFrame(payload, false), wsOwnFrame(payload));
    }),
    { seed: 7, numRuns: 300 },
  );
});

it('masked frames decode with ws to the payload, and the payload is left untouched', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      const payload = Buffer.from(bytes);
      const copy = Buffer.from(payload);
      const frame = wsBinaryFrame(payload, true);
      assert.equal(frame[1]! & 0x80, 0x80, 'mask bit set');
      assert.deepEqual(decodeWithWs(frame, true), copy);
      assert.deepEqual(payload, copy);
    }),
    { seed: 11, numRuns: 300 },
  );
});

it('two masked frames of the same payload use different keys', () => {
  const payload = Buffer.from('same payload');
  assert.notDeepEqual(wsBinaryFrame(payload, true), wsBinaryFrame(payload, true));
});

it('refuses a payload longer than one 16-bit frame', () => {
  assert.throws(() => wsBinaryFrame(Buffer.alloc(65536), false), RangeError);
});
