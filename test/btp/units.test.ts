/** Pure parts of the BTP layer: backoff, URLs, auth frames and tokens, limits, answer frames, request ids. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authProtocolData, checkToken, readAuthClaim, tokenMatches } from '../../src/btp/auth.js';
import { backoffDelayMs } from '../../src/btp/backoff.js';
import { errorFrame, responseFrame } from '../../src/btp/frames.js';
import { resolveBtpLimits } from '../../src/btp/limits.js';
import { redact, resolveBtpTarget } from '../../src/btp/peer-url.js';
import { BtpRemoteError } from '../../src/btp/remote-error.js';
import { PendingRequests } from '../../src/btp/requests.js';
import { DEFAULT_BTP_LIMITS } from '../../src/btp/types.js';
import { BTP_TYPE, decodeBtpPacket } from '../../src/codec/btp.js';
import type { ConnectorError } from '../../src/utils/errors.js';
import { silentLogger } from '../../src/utils/logger.js';
import { hasCode } from './helpers.js';

const utf8 = new TextEncoder();

describe('backoffDelayMs', () => {
  it('doubles from min to max with jitter in the upper half, never below min', () => {
    const lo = () => 0;
    const hi = () => 0.999_999;
    assert.equal(backoffDelayMs(0, 100, 30_000, lo), 100);
    assert.equal(backoffDelayMs(0, 100, 30_000, hi), 100);
    assert.equal(backoffDelayMs(1, 100, 30_000, lo), 100);
    assert.equal(backoffDelayMs(1, 100, 30_000, hi), 200);
    assert.equal(backoffDelayMs(4, 100, 30_000, lo), 800);
    assert.equal(backoffDelayMs(4, 100, 30_000, hi), 1600);
    assert.equal(backoffDelayMs(10, 100, 30_000, hi), 30_000);
    assert.equal(backoffDelayMs(10_000, 100, 30_000, lo), 15_000);
    assert.equal(
      backoffDelayMs(3, 100, 30_000, () => Number.NaN),
      600,
      'a bad random source is tamed',
    );
  });
});

describe('resolveBtpTarget', () => {
  it('strips btp+, keeps ws/wss, and lets URL credentials override username and token', () => {
    assert.deepEqual(resolveBtpTarget('btp+ws://h:7768', 'me', 'tok'), {
      wsUrl: 'ws://h:7768/',
      username: 'me',
      token: 'tok',
    });
    assert.deepEqual(resolveBtpTarget('wss://h/path', 'me', 'tok'), {
      wsUrl: 'wss://h/path',
      username: 'me',
      token: 'tok',
    });
    assert.deepEqual(resolveBtpTarget('btp+wss://u:p%40ss@h:1', 'me', 'tok'), {
      wsUrl: 'wss://h:1/',
      username: 'u',
      token: 'p@ss',
    });
    assert.deepEqual(resolveBtpTarget('ws://only-user@h', 'me', 'tok'), {
      wsUrl: 'ws://h/',
      username: 'only-user',
      token: 'tok',
    });
  });

  it('refuses other schemes and garbage', () => {
    assert.throws(() => resolveBtpTarget('http://h', 'a', 'b'), hasCode('ERR_INVALID_ARGUMENT'));
    assert.throws(() => resolveBtpTarget('btp+http://h', 'a', 'b'), hasCode('ERR_INVALID_ARGUMENT'));
    assert.throws(() => resolveBtpTarget('not a url', 'a', 'b'), hasCode('ERR_INVALID_ARGUMENT'));
  });

  it('redacts passwords for logs', () => {
    assert.equal(redact('btp+ws://user:secret@h:1'), 'btp+ws://user:***@h:1');
    assert.equal(redact('ws://h:1'), 'ws://h:1');
  });
});

describe('auth frames and tokens', () => {
  const message = (protocolData = authProtocolData('alice', 'tok')) => ({
    type: BTP_TYPE.message,
    requestId: 1,
    protocolData,
  });

  it('reads the claim of an RFC 23 auth Message', () => {
    const claim = readAuthClaim(message());
    assert.ok(typeof claim === 'object');
    assert.equal(claim.username, 'alice');
    assert.deepEqual([...claim.token], [...utf8.encode('tok')]);
  });

  it('says why other frames are not auth', () => {
    const pd = authProtocolData('alice', 'tok');
    assert.equal(typeof readAuthClaim({ type: BTP_TYPE.response, requestId: 1, protocolData: pd }), 'string');
    assert.equal(typeof readAuthClaim(message(pd.slice(1))), 'string', 'auth missing');
    assert.equal(typeof readAuthClaim(message([pd[1]!, pd[0]!, pd[2]!])), 'string', 'auth not first');
    assert.equal(typeof readAuthClaim(message([pd[0]!, pd[1]!])), 'string', 'no token');
    assert.equal(typeof readAuthClaim(message([pd[0]!, pd[2]!])), 'string', 'no username');
    const nonEmpty = [{ ...pd[0]!, data: Uint8Array.of(1) }, pd[1]!, pd[2]!];
    assert.equal(typeof readAuthClaim(message(nonEmpty)), 'string', 'auth data not empty');
    const badUtf8 = [pd[0]!, { ...pd[1]!, data: Uint8Array.of(0xff) }, pd[2]!];
    assert.equal(typeof readAuthClaim(message(badUtf8)), 'string', 'username not UTF-8');
  });

  it('checks tokens against secretFor ?? authToken, an empty secret only with allowNoAuth', () => {
    const peer = { id: 'p', authToken: 'config' };
    const none = () => undefined;
    assert.equal(checkToken(peer, utf8.encode('config'), { allowNoAuth: false, secretFor: none }), undefined);
    assert.notEqual(
      checkToken(peer, utf8.encode('configX'), { allowNoAuth: true, secretFor: none }),
      undefined,
    );
    const env = () => 'env';
    assert.equal(checkToken(peer, utf8.encode('env'), { allowNoAuth: false, secretFor: env }), undefined);
    assert.notEqual(
      checkToken(peer, utf8.encode('config'), { allowNoAuth: false, secretFor: env }),
      undefined,
    );
    const open = { id: 'o', authToken: '' };
    assert.equal(checkToken(open, utf8.encode('any'), { allowNoAuth: true, secretFor: none }), undefined);
    assert.notEqual(checkToken(open, new Uint8Array(0), { allowNoAuth: false, secretFor: none }), undefined);
    assert.equal(tokenMatches('ü', utf8.encode('ü')), true);
    assert.equal(tokenMatches('a', utf8.encode('ab')), false);
  });
});

describe('resolveBtpLimits', () => {
  it('fills defaults, ignores unknown keys and refuses bad values', () => {
    assert.deepEqual(resolveBtpLimits(), DEFAULT_BTP_LIMITS);
    const limits = resolveBtpLimits({ requestTimeoutMs: 5, ...{ allowNoAuth: true } });
    assert.equal(limits.requestTimeoutMs, 5);
    assert.equal(Object.isFrozen(limits), true);
    assert.equal('allowNoAuth' in limits, false);
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      assert.throws(() => resolveBtpLimits({ authTimeoutMs: bad }), hasCode('ERR_INVALID_ARGUMENT'));
    }
    assert.throws(
      () => resolveBtpLimits({ reconnectMinMs: 10, reconnectMaxMs: 5 }),
      hasCode('ERR_INVALID_ARGUMENT'),
    );
  });
});

describe('answer frames', () => {
  it('fall back to a plain F00 when the answer cannot be encoded or is too large', () => {
    const ok = decodeBtpPacket(responseFrame(3, [], 100));
    assert.equal(ok.type, BTP_TYPE.response);
    const badName = decodeBtpPacket(
      responseFrame(3, [{ protocolName: 'é', contentType: 0, data: new Uint8Array() }], 100),
    );
    assert.equal(badName.type === BTP_TYPE.error && badName.code, 'F00');
    const tooBig = decodeBtpPacket(
      responseFrame(3, [{ protocolName: 'x', contentType: 0, data: new Uint8Array(200) }], 100),
    );
    assert.equal(tooBig.type === BTP_TYPE.error && tooBig.requestId, 3);
    const badCode = decodeBtpPacket(errorFrame(4, 'TOOLONG', 'N', '', [], 1000));
    assert.equal(
      badCode.type === BTP_TYPE.error && `${badCode.code} ${badCode.name}`,
      'F00 NotAcceptedError',
    );
    const kept = decodeBtpPacket(errorFrame(4, 'T03', 'ConnectorBusy', 'busy', [], 1000));
    assert.equal(
      kept.type === BTP_TYPE.error && `${kept.code} ${kept.name} ${kept.data}`,
      'T03 ConnectorBusy busy',
    );
  });
});

describe('PendingRequests', () => {
  it('increments ids from the start with UInt32 wrap-around', () => {
    const requests = new PendingRequests('p', silentLogger(), 0xffff_fffe);
    const ids = [1, 2, 3].map(() => requests.add(60_000, () => undefined));
    assert.deepEqual(ids, [0xffff_fffe, 0xffff_ffff, 0]);
    requests.drop(0xffff_ffff);
    assert.equal(requests.size, 2);
    requests.closeAll();
  });

  it('starts at a random id by default', () => {
    const starts = new Set(
      [1, 2, 3, 4].map(() => new PendingRequests('p', silentLogger()).add(1, () => undefined)),
    );
    assert.ok(starts.size > 1);
  });

  it('settles Responses and Errors once and rejects the rest on close', () => {
    const requests = new PendingRequests('p', silentLogger(), 10);
    const results: string[] = [];
    const record = (err: Error | undefined) =>
      results.push(err === undefined ? 'ok' : (err as ConnectorError).code);
    requests.add(60_000, record);
    requests.add(60_000, record);
    requests.add(60_000, record);
    assert.equal(requests.settle({ type: BTP_TYPE.response, requestId: 10, protocolData: [] }), true);
    assert.equal(requests.settle({ type: BTP_TYPE.response, requestId: 10, protocolData: [] }), false);
    const error = { code: 'F99', name: 'X', triggeredAt: new Date(), data: 'd', protocolData: [] };
    assert.equal(requests.settle({ type: BTP_TYPE.error, requestId: 11, ...error }), true);
    requests.closeAll();
    assert.deepEqual(results, ['ok', 'ERR_BTP_REMOTE', 'ERR_BTP_CLOSED']);
    assert.equal(requests.size, 0);
  });

  it('BtpRemoteError carries code, name, data and protocolData of the packet', () => {
    const at = new Date(0);
    const err = BtpRemoteError.fromPacket({
      type: BTP_TYPE.error,
      requestId: 1,
      code: 'T00',
      name: 'UnreachableError',
      triggeredAt: at,
      data: 'why',
      protocolData: [],
    });
    assert.equal(err.code, 'ERR_BTP_REMOTE');
    assert.deepEqual(
      [err.btpCode, err.btpName, err.btpData, err.btpTriggeredAt],
      ['T00', 'UnreachableError', 'why', at],
    );
    assert.match(err.message, /T00 UnreachableError: why/);
  });
});
