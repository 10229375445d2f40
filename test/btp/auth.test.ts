/** BTP authentication (RFC 23 §Authentication, DESIGN §5) on the accepting and the dialing side. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authProtocolData } from '../../src/btp/auth.js';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE, type BtpPacket, type ProtocolData } from '../../src/codec/btp.js';
import { captureLogger, ilpEntry, linkUp, logged, RawClient, startManager, textOf } from './helpers.js';

function assertF00(packet: BtpPacket, requestId: number): void {
  assert.equal(packet.type, BTP_TYPE.error);
  assert.equal(packet.requestId, requestId);
  if (packet.type !== BTP_TYPE.error) return;
  assert.equal(packet.code, 'F00');
  assert.equal(packet.name, 'NotAcceptedError');
  assert.ok(packet.data.length > 0, 'a short reason');
}

/** Sends `first` as the first frame; expects BTP Error F00 to it and the socket closed by the server. */
async function expectRefused(port: number, first: BtpPacket | Uint8Array, requestId: number): Promise<void> {
  const raw = await RawClient.open(port);
  raw.send(first);
  assertF00(await raw.answerTo(requestId), requestId);
  assert.equal(await raw.closed, CLOSE_CODE.policy);
}

const message = (requestId: number, protocolData: ProtocolData[]): BtpPacket => ({
  type: BTP_TYPE.message,
  requestId,
  protocolData,
});

describe('accepting side', { timeout: 10_000 }, () => {
  it('accepts the right token and serves the socket', async () => {
    const b = await startManager({ nodeId: 'b', secretFor: (id) => (id === 'a' ? 'from-env' : undefined) });
    b.addPeer({ id: 'a', authToken: 'from-config' });
    try {
      const raw = await RawClient.authed(b.port, 'a', 'from-env');
      const answer = await raw.request([ilpEntry('x')]);
      assert.equal(answer.type, BTP_TYPE.response);
      assert.equal(textOf(answer.type === BTP_TYPE.response ? answer.protocolData : []), 'a>x');
      await raw.close();
      // secretFor wins over authToken: the configured token is refused.
      await expectRefused(b.port, message(5, authProtocolData('a', 'from-config')), 5);
    } finally {
      await b.stop();
    }
  });

  it('refuses a wrong token, an unknown username and non-auth first frames with F00, then closes', async () => {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 'right' });
    try {
      await expectRefused(b.port, message(1, authProtocolData('a', 'wrong')), 1);
      await expectRefused(b.port, message(2, authProtocolData('a', '')), 2);
      await expectRefused(b.port, message(3, authProtocolData('stranger', 'right')), 3);
      await expectRefused(b.port, message(4, [ilpEntry('not auth')]), 4);
      const noUser = authProtocolData('a', 'right').filter((p) => p.protocolName !== 'auth_username');
      await expectRefused(b.port, message(6, noUser), 6);
      const authLast = authProtocolData('a', 'right').reverse();
      await expectRefused(b.port, message(7, authLast), 7);
      await expectRefused(b.port, { type: BTP_TYPE.transfer, requestId: 8, amount: 1n, protocolData: [] }, 8);
      await expectRefused(b.port, { type: BTP_TYPE.response, requestId: 9, protocolData: [] }, 9);
      // Undecodable but with a Message header: still answered, then closed.
      await expectRefused(b.port, Uint8Array.of(BTP_TYPE.message, 0, 0, 0, 10, 5, 1), 10);
      assert.equal(b.isConnected('a'), false);
    } finally {
      await b.stop();
    }
  });

  it('with an empty secret: refuses while allowNoAuth is false, accepts any token while true', async () => {
    const strict = await startManager({ nodeId: 'strict', allowNoAuth: false });
    strict.addPeer({ id: 'a', authToken: '' });
    const open = await startManager({ nodeId: 'open', allowNoAuth: true });
    open.addPeer({ id: 'a', authToken: '' });
    open.addPeer({ id: 'c', authToken: 'needed' });
    try {
      await expectRefused(strict.port, message(1, authProtocolData('a', '')), 1);
      const up = linkUp(open, 'a');
      const raw = await RawClient.authed(open.port, 'a', 'anything');
      await up;
      await raw.close();
      // allowNoAuth does not relax a peer that has a secret.
      await expectRefused(open.port, message(2, authProtocolData('c', 'other')), 2);
    } finally {
      await Promise.all([strict.stop(), open.stop()]);
    }
  });

  it('closes a socket that does not authenticate within authTimeoutMs', async () => {
    const b = await startManager({ nodeId: 'b', limits: { authTimeoutMs: 80 } });
    try {
      const raw = await RawClient.open(b.port);
      assert.equal(await raw.closed, CLOSE_CODE.policy);
    } finally {
      await b.stop();
    }
  });

  it('answers plain HTTP with 426 and keeps serving', async () => {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 't' });
    try {
      const res = await fetch(`http://127.0.0.1:${b.port}/`);
      assert.equal(res.status, 426);
      await res.text();
      const raw = await RawClient.authed(b.port, 'a', 't');
      await raw.close();
    } finally {
      await b.stop();
    }
  });
});

describe('dialing side', { timeout: 10_000 }, () => {
  it('sends username = nodeId and the peer authToken; URL credentials override them', async () => {
    const b = await startManager({ nodeId: 'b' });
    b.addPeer({ id: 'a', authToken: 'tok-a' });
    b.addPeer({ id: 'carol', authToken: 'tok-c' });
    const a = await startManager({ nodeId: 'a' });
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 'tok-a' });
    a.addPeer({ id: 'b-as-carol', url: `btp+ws://carol:tok-c@127.0.0.1:${b.port}`, authToken: 'ignored' });
    try {
      await Promise.all([linkUp(b, 'a'), linkUp(b, 'carol'), linkUp(a, 'b'), linkUp(a, 'b-as-carol')]);
      assert.equal(textOf(await a.request('b', [ilpEntry('1')])), 'a>1');
      assert.equal(textOf(await a.request('b-as-carol', [ilpEntry('2')])), 'carol>2');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('logs a refused auth and keeps retrying with backoff; the link comes up once the token is right', async () => {
    let secret = 'other';
    const b = await startManager({ nodeId: 'b', secretFor: () => secret });
    b.addPeer({ id: 'a', authToken: 'unused' });
    const { logger, records } = captureLogger();
    const a = await startManager({ nodeId: 'a', logger });
    const refusedTwice = logged(records, (r) => String(r.err).includes('auth: BTP Error F00'), 2);
    a.addPeer({ id: 'b', url: `ws://127.0.0.1:${b.port}`, authToken: 'mine' });
    try {
      await refusedTwice;
      assert.equal(a.isConnected('b'), false);
      const up = linkUp(a, 'b');
      secret = 'mine';
      await up;
      assert.equal(textOf(await a.request('b', [ilpEntry('ok')])), 'a>ok');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
