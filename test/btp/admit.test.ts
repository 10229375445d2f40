/**
 * An asynchronous auth verdict (LinkManager `admit`, used by open admission): the socket serves
 * nothing until the verdict, then authenticates as the admitted peer or is refused with the
 * verdict's code and message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authProtocolData } from '../../src/btp/auth.js';
import type { AuthVerdict } from '../../src/btp/server.js';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE } from '../../src/codec/btp.js';
import { ilpEntry, RawClient, startManager, textOf } from './helpers.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('asynchronous admission verdict', { timeout: 10_000 }, () => {
  it('holds the socket until the verdict, refusing requests sent before it', async () => {
    const verdict = deferred<AuthVerdict>();
    const asked: string[] = [];
    const b = await startManager({
      nodeId: 'b',
      admit: (claim) => {
        asked.push(claim.username);
        return verdict.promise;
      },
    });
    try {
      const raw = await RawClient.open(b.port);
      raw.send({ type: BTP_TYPE.message, requestId: 1, protocolData: authProtocolData('agent', 'tok') });
      const early = await raw.request([ilpEntry('too early')], 2);
      assert.equal(early.type, BTP_TYPE.error);
      assert.equal(early.type === BTP_TYPE.error ? early.data : '', 'not authenticated yet');
      assert.deepEqual(asked, ['agent']);
      // The admitter registers the peer before answering, as core/admission.ts does.
      b.addPeer({ id: 'agent', authToken: 'tok' });
      verdict.resolve({ peerId: 'agent' });
      assert.equal((await raw.answerTo(1)).type, BTP_TYPE.response);
      const served = await raw.request([ilpEntry('x')], 3);
      assert.equal(textOf(served.type === BTP_TYPE.response ? served.protocolData : []), 'agent>x');
      assert.ok(b.isConnected('agent'));
      // Known now: a second socket is checked against the link's token, not admitted again.
      await RawClient.authed(b.port, 'agent', 'tok').then((c) => c.close());
      assert.deepEqual(asked, ['agent']);
      await raw.close();
    } finally {
      await b.stop();
    }
  });

  it("refuses with the verdict's code and message, and closes", async () => {
    const b = await startManager({
      nodeId: 'b',
      admit: () => Promise.resolve({ reason: 'full', told: 'node is full', code: 'T00' }),
    });
    try {
      const raw = await RawClient.open(b.port);
      const answer = await raw.request(authProtocolData('agent', 'tok'), 9);
      assert.equal(answer.type, BTP_TYPE.error);
      if (answer.type !== BTP_TYPE.error) return;
      assert.equal(answer.code, 'T00');
      assert.equal(answer.name, 'UnreachableError');
      assert.equal(answer.data, 'node is full');
      assert.equal(await raw.closed, CLOSE_CODE.tryAgainLater);
    } finally {
      await b.stop();
    }
  });

  it('an admitter that throws refuses the login and the server keeps serving', async () => {
    const b = await startManager({ nodeId: 'b', admit: () => Promise.reject(new Error('ledger down')) });
    b.addPeer({ id: 'known', authToken: 'k' });
    try {
      const raw = await RawClient.open(b.port);
      const answer = await raw.request(authProtocolData('agent', 'tok'), 4);
      assert.equal(answer.type === BTP_TYPE.error ? answer.code : 'none', 'F00');
      assert.equal(await raw.closed, CLOSE_CODE.policy);
      await RawClient.authed(b.port, 'known', 'k').then((c) => c.close());
    } finally {
      await b.stop();
    }
  });

  it('without an admitter an unknown username is refused as before', async () => {
    const b = await startManager({ nodeId: 'b', admit: () => undefined });
    try {
      const raw = await RawClient.open(b.port);
      const answer = await raw.request(authProtocolData('agent', 'tok'), 4);
      assert.equal(answer.type === BTP_TYPE.error ? answer.data : '', 'authentication failed');
    } finally {
      await b.stop();
    }
  });
});
