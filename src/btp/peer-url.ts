import { ConnectorError } from '../utils/errors.js';

/** Where and how to dial a peer. */
export interface BtpTarget {
  /** ws: or wss: URL without credentials. */
  wsUrl: string;
  username: string;
  token: string;
}

/**
 * Accepts ws://, wss://, btp+ws:// and btp+wss://. As in ilp-plugin-btp, a user or password in
 * the URL overrides the configured username or token; they never reach the HTTP request.
 */
export function resolveBtpTarget(url: string, username: string, token: string): BtpTarget {
  const bare = /^btp\+/i.test(url) ? url.slice(4) : url;
  let parsed: URL;
  try {
    parsed = new URL(bare);
  } catch {
    throw new ConnectorError('ERR_INVALID_ARGUMENT', `invalid BTP peer URL "${redact(url)}"`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ConnectorError(
      'ERR_INVALID_ARGUMENT',
      `BTP peer URL must be ws(s) or btp+ws(s): "${redact(url)}"`,
    );
  }
  const target: BtpTarget = {
    wsUrl: '',
    username: parsed.username === '' ? username : decode(parsed.username),
    token: parsed.password === '' ? token : decode(parsed.password),
  };
  parsed.username = '';
  parsed.password = '';
  target.wsUrl = parsed.toString();
  return target;
}

/** The URL with its password replaced, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}
