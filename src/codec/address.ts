/**
 * ILP addresses (RFC 15): a scheme followed by one or more segments of [A-Za-z0-9_~-],
 * separated by '.', at most 1023 characters (RFC 15, RFC 30 §"ILP Address").
 *
 * A regex on a string is the fastest check V8 offers here (irregexp compiles it to machine
 * code; a hand-written byte scan measured slower), so decoders make the string first
 * (one char per byte) and validate that.
 */
export const MAX_ADDRESS_LENGTH = 1023;

/** RFC 15 allocation schemes: the first segment of every address. */
export const ILP_SCHEMES: ReadonlySet<string> = new Set([
  'g',
  'private',
  'example',
  'peer',
  'self',
  'test',
  'test1',
  'test2',
  'test3',
  'local',
]);

const ADDRESS_REGEX = /^(?:g|private|example|peer|self|test[1-3]?|local)(?:\.[A-Za-z0-9_~-]+)+$/;
export const SEGMENT_REGEX = /^[A-Za-z0-9_~-]+$/;

export function isValidAddress(address: string): boolean {
  return typeof address === 'string' && address.length <= MAX_ADDRESS_LENGTH && ADDRESS_REGEX.test(address);
}

export function isValidSegment(segment: string): boolean {
  return (
    typeof segment === 'string' &&
    segment.length > 0 &&
    segment.length <= MAX_ADDRESS_LENGTH &&
    SEGMENT_REGEX.test(segment)
  );
}

/** True when `address` equals `prefix` or lies under it on a '.' boundary. */
export function isUnder(address: string, prefix: string): boolean {
  return address === prefix || (address.startsWith(prefix) && address.charCodeAt(prefix.length) === 46);
}
