/** ILP error codes (RFC 27 §"ILP Error Codes"). F = final, T = temporary, R = relative. */
export const REJECT_CODES = {
  F00_BAD_REQUEST: 'F00',
  F01_INVALID_PACKET: 'F01',
  F02_UNREACHABLE: 'F02',
  F03_INVALID_AMOUNT: 'F03',
  F04_INSUFFICIENT_DESTINATION_AMOUNT: 'F04',
  F05_WRONG_CONDITION: 'F05',
  F06_UNEXPECTED_PAYMENT: 'F06',
  F07_CANNOT_RECEIVE: 'F07',
  F08_AMOUNT_TOO_LARGE: 'F08',
  F99_APPLICATION_ERROR: 'F99',
  T00_INTERNAL_ERROR: 'T00',
  T01_PEER_UNREACHABLE: 'T01',
  T02_PEER_BUSY: 'T02',
  T03_CONNECTOR_BUSY: 'T03',
  T04_INSUFFICIENT_LIQUIDITY: 'T04',
  T05_RATE_LIMITED: 'T05',
  T99_APPLICATION_ERROR: 'T99',
  R00_TRANSFER_TIMED_OUT: 'R00',
  R01_INSUFFICIENT_SOURCE_AMOUNT: 'R01',
  R02_INSUFFICIENT_TIMEOUT: 'R02',
  R99_APPLICATION_ERROR: 'R99',
} as const;

export type RejectCode = (typeof REJECT_CODES)[keyof typeof REJECT_CODES];

const REJECT_CODE_REGEX = /^[FTR][0-9A-Z]{2}$/;

/** Any three-character code of the F/T/R families is accepted on the wire (RFC 27 allows new ones). */
export function isValidRejectCode(code: string): boolean {
  return REJECT_CODE_REGEX.test(code);
}
