/**
 * Scrubbing of secrets from text that may reach a log: key material, and RPC URLs, whose path
 * or query often carries a provider's API key (https://base-mainnet.g.alchemy.com/v2/<key>).
 */
const HEX_KEY_PATTERN = /0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;

/** Replaces every occurrence of each secret (case-insensitive) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 8) continue; // too short to be a secret worth matching; would shred text
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(escaped, 'gi'), '[redacted]');
  }
  return out;
}

/**
 * Also hides anything shaped like a raw private key. Hashes and channel ids have the same
 * shape, so use this only on text that should carry neither (error details, not receipts).
 */
export function redactKeys(text: string, secrets: readonly string[] = []): string {
  return redact(text, secrets).replace(HEX_KEY_PATTERN, '0x[redacted]');
}

/** The URL reduced to scheme and host: `https://mainnet.base.org/…`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname.length > 1 || parsed.search !== '' ? '/…' : '';
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return '[url]';
  }
}

/** Replaces the URL (as given and as parsed) in `text` by its redacted form. */
export function redactUrlIn(text: string, url: string): string {
  const safe = redactUrl(url);
  let out = text.split(url).join(safe);
  try {
    const href = new URL(url).href;
    out = out.split(href).join(safe);
  } catch {
    // not a URL: the literal replacement above is all there is
  }
  return out;
}
