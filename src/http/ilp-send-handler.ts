/**
 * `POST /admin/ilp/send`: a standalone application sends an ILP Prepare through its node.
 *
 * Framework-free: `handle(body)` validates the JSON body, sends the Prepare and answers a status
 * and a JSON body. ILP Fulfill and Reject are both 200 (told apart by `fulfilled`); the packet's
 * expiry (now + timeoutMs) bounds the wait, since the node answers every Prepare by its expiry.
 * Without an executionCondition, the spec's data-derived condition is used (DESIGN §4: no
 * hash-lock security; the receiver can fulfill only by the same scheme).
 */
import { computeConditionFromData } from '../codec/condition.js';
import { type IlpFulfill, type IlpReject, isValidAddress } from '../codec/index.js';
import type { SendPacketParams } from '../types/index.js';
import type { Logger } from '../utils/logger.js';

export interface IlpSendRequest {
  destination: string;
  /** u64 as a decimal string. */
  amount: string;
  /** base64, at most 32767 bytes decoded. */
  data?: string;
  /** base64 of 32 bytes; default sha256(sha256(data)). */
  executionCondition?: string;
  /** How long the Prepare may live (its expiry is now + timeoutMs). */
  timeoutMs?: number;
  /** The same in ms, under the name the spec's issue uses; give one or the other. */
  timeout?: number;
}

export interface IlpSendResponse {
  fulfilled: boolean;
  /** Same as `fulfilled`, kept for clients of the earlier API. */
  accepted: boolean;
  fulfillment?: string;
  code?: string;
  triggeredBy?: string;
  message?: string;
  data?: string;
}

export interface HttpError {
  error: string;
  message: string;
}

export interface HandlerResult {
  statusCode: number;
  body: IlpSendResponse | HttpError;
}

export type PacketSenderFn = (params: SendPacketParams) => Promise<IlpFulfill | IlpReject>;
export type IsReadyFn = () => boolean;

export const ILP_SEND_LIMITS = {
  maxDataBytes: 32767,
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 600_000,
} as const;

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

export class IlpSendHandler {
  constructor(
    private readonly sendPacket: PacketSenderFn,
    private readonly isReady: IsReadyFn,
    private readonly logger: Logger,
  ) {}

  async handle(body: unknown): Promise<HandlerResult> {
    if (!this.isReady()) return failure(503, 'Service Unavailable', 'the connector is not started');
    const parsed = parseIlpSendRequest(body);
    if (typeof parsed === 'string') return failure(400, 'Bad Request', parsed);
    let reply: IlpFulfill | IlpReject;
    try {
      reply = await this.sendPacket(parsed);
    } catch (err) {
      this.logger.error({ err }, 'ILP send failed');
      return failure(500, 'Internal Server Error', 'the packet could not be sent');
    }
    return { statusCode: 200, body: toResponse(reply) };
  }
}

/**
 * The spec's utility: the problems of a `POST /admin/ilp/send` body as one message (each
 * separated by '; '), or null when the body is valid. The same checks the endpoint runs.
 */
export function validateIlpSendRequest(body: unknown): string | null {
  const parsed = parseIlpSendRequest(body);
  return typeof parsed === 'string' ? parsed : null;
}

/** The request's problems as one message, or the Prepare's parameters. */
export function parseIlpSendRequest(body: unknown): SendPacketParams | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(b)) {
    if (!['destination', 'amount', 'data', 'executionCondition', 'timeoutMs', 'timeout'].includes(key))
      problems.push(`unknown field ${key}`);
  }
  const destination = b.destination;
  if (typeof destination !== 'string' || !isValidAddress(destination))
    problems.push('destination must be an ILP address (RFC 15)');
  const amount = parseAmount(b.amount);
  if (amount === undefined) problems.push('amount must be a decimal string of an unsigned 64-bit integer');
  const data = parseBase64(b.data, 'data', problems);
  if (data !== undefined && data.length > ILP_SEND_LIMITS.maxDataBytes)
    problems.push(`data must be at most ${ILP_SEND_LIMITS.maxDataBytes} bytes`);
  const condition = parseBase64(b.executionCondition, 'executionCondition', problems);
  if (condition !== undefined && condition.length !== 32)
    problems.push('executionCondition must be 32 bytes');
  if (b.timeoutMs !== undefined && b.timeout !== undefined)
    problems.push('give timeoutMs or timeout, not both');
  const timeoutMs = b.timeoutMs ?? b.timeout ?? ILP_SEND_LIMITS.defaultTimeoutMs;
  if (
    !Number.isSafeInteger(timeoutMs) ||
    (timeoutMs as number) < 1 ||
    (timeoutMs as number) > ILP_SEND_LIMITS.maxTimeoutMs
  )
    problems.push(`timeoutMs must be an integer from 1 to ${ILP_SEND_LIMITS.maxTimeoutMs}`);
  if (problems.length > 0) return problems.join('; ');
  const bytes = data ?? new Uint8Array(0);
  return {
    destination: destination as string,
    amount: amount as bigint,
    executionCondition: condition ?? computeConditionFromData(bytes),
    expiresAt: new Date(Date.now() + (timeoutMs as number)),
    data: bytes,
  };
}

function parseAmount(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined;
  const amount = BigInt(value);
  return amount <= U64_MAX ? amount : undefined;
}

/** Canonical base64 only: a string that does not round-trip is refused, not silently cut. */
function parseBase64(value: unknown, name: string, problems: string[]): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`${name} must be a base64 string`);
    return undefined;
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) {
    problems.push(`${name} must be canonical base64`);
    return undefined;
  }
  return bytes;
}

function toResponse(reply: IlpFulfill | IlpReject): IlpSendResponse {
  const data = reply.data.length > 0 ? b64(reply.data) : undefined;
  const base =
    reply.type === 13
      ? { fulfilled: true, accepted: true, fulfillment: b64(reply.fulfillment) }
      : {
          fulfilled: false,
          accepted: false,
          code: reply.code,
          triggeredBy: reply.triggeredBy,
          message: reply.message,
        };
  return data === undefined ? base : { ...base, data };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

export function failure(statusCode: number, error: string, message: string): HandlerResult {
  return { statusCode, body: { error, message } };
}
