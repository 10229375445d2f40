/** Small text helpers shared by every layer. */

/** The message of a thrown value, whatever was thrown (an Error, a string, anything). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Case-insensitive equality of two hex strings (addresses, hashes, channel ids). */
export function sameHex(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
