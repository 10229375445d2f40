export type { AuthClaim, AuthPolicy } from './auth.js';
export {
  AUTH_PROTOCOL,
  AUTH_TOKEN_PROTOCOL,
  AUTH_USERNAME_PROTOCOL,
  authProtocolData,
  checkToken,
  readAuthClaim,
  tokenMatches,
} from './auth.js';
export { backoffDelayMs } from './backoff.js';
export type { BTPClientOptions } from './client.js';
export { BTPClient } from './client.js';
export type { BTPClientDefaults } from './client-manager.js';
export { BTPClientManager } from './client-manager.js';
export { isTimerValue, MAX_TIMER_MS, resolveBtpLimits } from './limits.js';
export type { LinkManagerOptions } from './link-manager.js';
export { LinkManager } from './link-manager.js';
export type { BtpTarget } from './peer-url.js';
export { redact, resolveBtpTarget } from './peer-url.js';
export { BtpRemoteError } from './remote-error.js';
export type { Authenticator, AuthRefusal, AuthVerdict, BTPServerOptions } from './server.js';
export { BTPServer } from './server.js';
export type { AnswerCallback, FrameInterceptor } from './session.js';
export { BtpSession } from './session.js';
export type { BtpLimits, BtpPeer, BtpRequestHandler, ResolvedBtpLimits } from './types.js';
export { CLOSE_CODE, DEFAULT_BTP_LIMITS } from './types.js';
