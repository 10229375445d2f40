/**
 * Decoded addresses, interned. Destinations repeat: a STREAM connection sends all its packets
 * to one address, and replies carry the same few triggeredBy addresses. Making the string and
 * validating it (RFC 15) is ~100 ns of a ~350 ns Prepare decode; a hit here costs a byte
 * compare instead. Only valid addresses enter, keyed by the bytes themselves (compared in
 * full), so a hit returns exactly what a miss would. Strings are immutable: sharing is safe.
 *
 * Direct-mapped, SLOTS entries; an address hashes on its length and last bytes, where STREAM
 * addresses differ. A miss costs one failed compare (usually at the last byte) on top of the
 * full decode.
 */
import { isValidAddress, MAX_ADDRESS_LENGTH } from './address.js';
import { latin1, sameText } from './text.js';

const SLOTS = 64;
/** Longer addresses are validated every time: rare, and a long compare would eat the gain. */
const MAX_CACHED_LENGTH = 128;
const slots: (string | undefined)[] = new Array(SLOTS).fill(undefined);

function slotOf(bytes: Uint8Array, at: number, length: number): number {
  const end = at + length;
  return (length * 7 + bytes[end - 1]! * 31 + bytes[end - 2]! * 3 + bytes[end - 3]!) & (SLOTS - 1);
}

/**
 * The address held in `bytes[at..at+length)` (one char per byte), or undefined when it is not
 * a valid ILP address.
 */
export function readValidAddress(bytes: Uint8Array, at: number, length: number): string | undefined {
  if (length < 3 || length > MAX_ADDRESS_LENGTH) return undefined;
  const cacheable = length <= MAX_CACHED_LENGTH;
  const slot = cacheable ? slotOf(bytes, at, length) : 0;
  const cached = cacheable ? slots[slot] : undefined;
  if (cached !== undefined && sameText(cached, bytes, at, length)) return cached;
  const address = latin1(bytes, at, at + length);
  if (!isValidAddress(address)) return undefined;
  if (cacheable) slots[slot] = address;
  return address;
}
