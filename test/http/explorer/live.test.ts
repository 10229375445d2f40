/**
 * `WS /ws`: events arrive as they are recorded, a client narrows its stream, and a client that
 * stops reading is closed with 1008 while the server's buffer for it stays bounded.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { NodeEvent } from '../../../src/types/index.js';
import { waitFor } from './events.js';
import { FULFILL, openSocket, prepare, reject, roundTrip, startExplorer, stored } from './harness.js';

function collect(ws: WebSocket): unknown[] {
  const frames: unknown[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  return frames;
}

describe('explorer WebSocket', () => {
  it('streams every new event, with its stored id, as one JSON text frame', async (t) => {
    const h = await startExplorer(t);
    const ws = await openSocket(`ws://127.0.0.1:${h.explorer.port}/ws`);
    t.after(() => ws.terminate());
    const frames = collect(ws) as NodeEvent[];
    h.recorder.packet('alice', 'bob', false, prepare(1), FULFILL, 900n, 2);
    h.recorder.event({ type: 'peer.connected', peerId: 'carol' });
    await waitFor(() => (frames.length >= 2 ? true : undefined), 'two frames');
    assert.equal(frames[0]!.type, 'packet.fulfilled');
    assert.equal(frames[0]!.peerId, 'alice');
    assert.equal(frames[1]!.type, 'peer.connected');
    const { body } = await h.get('/api/events');
    assert.deepEqual(
      frames.map((f) => f.id),
      body.events.map((e: NodeEvent) => e.id).reverse(),
      'the same ids as the store',
    );
  });

  it('narrows to the types a client asks for; an empty list means everything again', async (t) => {
    const h = await startExplorer(t);
    const ws = await openSocket(`ws://127.0.0.1:${h.explorer.port}/ws`);
    t.after(() => ws.terminate());
    const frames = collect(ws) as { type?: string; error?: string }[];
    ws.send(JSON.stringify({ types: ['packet.rejected', 'peer.removed'] }));
    await roundTrip(ws);
    h.recorder.packet('alice', 'bob', false, prepare(1), FULFILL, 900n, 2);
    h.recorder.packet('alice', 'bob', false, prepare(2), reject('F02'), 900n, 2);
    h.recorder.event({ type: 'peer.connected', peerId: 'carol' });
    h.recorder.event({ type: 'peer.removed', peerId: 'carol' });
    await stored(h, 4);
    await waitFor(() => (frames.length >= 2 ? true : undefined), 'the narrowed frames');
    await roundTrip(ws);
    assert.deepEqual(
      frames.map((f) => f.type),
      ['packet.rejected', 'peer.removed'],
    );
    ws.send(JSON.stringify({ types: ['packet.nope'] }));
    ws.send('not json');
    await waitFor(() => (frames.length >= 4 ? true : undefined), 'two error frames');
    assert.equal(frames[2]!.error, 'BadRequest');
    assert.equal(frames[3]!.error, 'BadRequest');
    ws.send(JSON.stringify({ types: [] }));
    await roundTrip(ws);
    h.recorder.event({ type: 'peer.connected', peerId: 'dave' });
    await waitFor(() => (frames.length >= 5 ? true : undefined), 'everything again');
    assert.equal(frames[4]!.type, 'peer.connected');
  });

  it('closes a client that stops reading with 1008, and buffers no more than 1 MiB for it', async (t) => {
    const h = await startExplorer(t);
    const ws = await openSocket(`ws://127.0.0.1:${h.explorer.port}/ws`);
    t.after(() => ws.terminate());
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // The client stops reading: the kernel's buffers fill, then the server's.
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const blob = 'x'.repeat(2000);
    let recorded = 0;
    const round = async (): Promise<void> => {
      for (let i = 0; i < 500; i++) h.recorder.event({ type: 'peer.connected', peerId: 'p', data: { blob } });
      recorded += 500;
      await stored(h, recorded);
    };
    const slowClosed = async () => (await h.get('/api/health')).body.live.slowClosed as number;
    for (let i = 0; i < 100 && (await slowClosed()) === 0; i++) await round();
    assert.equal(await slowClosed(), 1, 'the slow client was closed');
    // The server-side socket of that client: what it holds stays within the limit plus one
    // frame, however many more events are recorded.
    const app = (h.explorer as unknown as { app: FastifyInstance }).app;
    const [serverSide] = [...app.websocketServer.clients];
    const frameBytes = 2200;
    const limit = 1024 * 1024 + frameBytes;
    assert.ok(serverSide!.bufferedAmount <= limit, `buffered ${serverSide!.bufferedAmount}`);
    const before = serverSide!.bufferedAmount;
    for (let i = 0; i < 5; i++) await round();
    assert.ok(serverSide!.bufferedAmount <= before, 'nothing more is buffered for a closed client');
    assert.equal((await h.get('/api/health')).body.live.clients, 0);
    socket.resume();
    assert.equal(await closed, 1008);
  });
});
