/**
 * The BLS's answer, read strictly: `{accept, fulfillment?, data?, rejectReason?}` (DESIGN §8).
 * Extra keys are dropped; `null` counts as absent for the optional fields, since many JSON
 * writers emit it for unset values.
 */
import type { PaymentResponse } from '../types/index.js';

const FULFILLMENT_BYTES = 32;
const MAX_REJECT_CODE_LENGTH = 64;
const MAX_REJECT_MESSAGE_BYTES = 8191;

/** The answer, or why it is not one. */
export function parseAnswer(value: unknown): PaymentResponse | string {
  if (!isRecord(value)) return 'not a JSON object';
  if (typeof value.accept !== 'boolean') return 'accept is not a boolean';
  const answer: PaymentResponse = { accept: value.accept };
  if (value.fulfillment != null) {
    const bytes = base64Length(value.fulfillment);
    if (bytes !== FULFILLMENT_BYTES) return `fulfillment is not base64 of ${FULFILLMENT_BYTES} bytes`;
    answer.fulfillment = value.fulfillment as string;
  }
  if (value.data != null) {
    if (base64Length(value.data) < 0) return 'data is not base64';
    answer.data = value.data as string;
  }
  if (value.rejectReason != null) {
    const reason = value.rejectReason;
    if (!isRecord(reason)) return 'rejectReason is not an object';
    const { code, message } = reason;
    if (typeof code !== 'string' || code.length === 0 || code.length > MAX_REJECT_CODE_LENGTH)
      return `rejectReason.code is not a string of 1 to ${MAX_REJECT_CODE_LENGTH} chars`;
    if (typeof message !== 'string') return 'rejectReason.message is not a string';
    answer.rejectReason = { code, message: cutUtf8(message, MAX_REJECT_MESSAGE_BYTES) };
  }
  return answer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decoded length of canonical standard base64 (padded, no whitespace), or -1. */
function base64Length(value: unknown): number {
  if (typeof value !== 'string') return -1;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes.length : -1;
}

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
