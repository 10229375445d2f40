/**
 * Raw BTP agents for the open admission tests (test/core/admission*.test.ts): log in under a
 * username, expect a refusal, pay and get paid with data-derived conditions.
 */
import assert from 'node:assert/strict';
import { authProtocolData } from '../../src/btp/auth.js';
import { CLOSE_CODE } from '../../src/btp/types.js';
import { BTP_TYPE, type BtpPacket, CONTENT_TYPE } from '../../src/codec/btp.js';
import { RawClient } from '../btp/helpers.js';
import { dataFulfillment, dataLock } from './nodes.js';
import { IlpPacket } from './plugins.js';

/** A raw login attempt; resolves with the server's answer and the socket's close code. */
export async function login(
  port: number,
  username: string,
  token: string,
): Promise<{ answer: BtpPacket; client: RawClient }> {
  const client = await RawClient.open(port);
  const answer = await client.request(authProtocolData(username, token));
  return { answer, client };
}

/** Asserts the login is refused with `code` and the socket closed; what the agent was told. */
export async function refused(port: number, username: string, token: string, code: string): Promise<string> {
  const { answer, client } = await login(port, username, token);
  assert.equal(answer.type, BTP_TYPE.error, `${username} must be refused`);
  if (answer.type !== BTP_TYPE.error) return '';
  assert.equal(answer.code, code, `${username}: ${answer.data}`);
  const closeCode = await client.closed;
  assert.equal(closeCode, code === 'T00' ? CLOSE_CODE.tryAgainLater : CLOSE_CODE.policy);
  return answer.data;
}

/** Answers the next Prepare the raw agent gets with the data-derived fulfillment. */
export async function fulfillNext(agent: RawClient): Promise<void> {
  const message = await agent.take((p) => p.type === BTP_TYPE.message);
  const ilp =
    message.type === BTP_TYPE.message
      ? message.protocolData.find((e) => e.protocolName === 'ilp')
      : undefined;
  const prepare = IlpPacket.deserializeIlpPrepare(Buffer.from(ilp!.data));
  const data = IlpPacket.serializeIlpFulfill({
    fulfillment: dataFulfillment(prepare.data),
    data: Buffer.alloc(0),
  });
  agent.send({
    type: BTP_TYPE.response,
    requestId: message.requestId,
    protocolData: [{ protocolName: 'ilp', contentType: CONTENT_TYPE.octetStream, data }],
  });
}

/** The agent pays `destination` (data-derived condition); the reply: 'fulfill' or the reject code. */
export async function rawPay(
  agent: RawClient,
  destination: string,
  amount: bigint,
  text: string,
): Promise<string> {
  const data = Buffer.from(text);
  const prepare = IlpPacket.serializeIlpPrepare({
    amount: amount.toString(),
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: dataLock(data),
    destination,
    data,
  });
  const answer = await agent.request([
    { protocolName: 'ilp', contentType: CONTENT_TYPE.octetStream, data: prepare },
  ]);
  assert.equal(answer.type, BTP_TYPE.response);
  const ilp = answer.type === BTP_TYPE.response ? answer.protocolData[0]!.data : new Uint8Array(0);
  const reply = IlpPacket.deserializeIlpPacket(Buffer.from(ilp));
  return reply.typeString === 'ilp_fulfill' ? 'fulfill' : String(reply.data.code);
}
