/**
 * Where the admin API listens (DESIGN §8). Production refuses a config without a key or an
 * allowlist (a config rule); elsewhere an API without a key listens on loopback only, whatever
 * host was asked for, and says so.
 */
import type { ResolvedConfig } from '../config/index.js';
import { type AdminNode, AdminServer } from '../http/index.js';
import type { Logger } from '../utils/logger.js';
import { isLoopbackHost } from '../utils/net.js';
import { listenNamed } from '../utils/port-in-use.js';

/** Starts the admin API when it is enabled; undefined when it is not. */
export async function startAdminApi(
  config: ResolvedConfig,
  node: AdminNode,
  logger: Logger,
): Promise<AdminServer | undefined> {
  const { enabled, port, host, apiKey, allowedIPs, trustProxy } = config.adminApi;
  if (!enabled) return undefined;
  let bindHost = host ?? '0.0.0.0';
  if (apiKey === undefined && config.environment !== 'production') {
    bindHost = host !== undefined && isLoopbackHost(host) ? host : '127.0.0.1';
    logger.warn(
      { host: bindHost, requestedHost: host },
      'admin API has no apiKey: listening on loopback only; set ADMIN_API_KEY to serve other hosts',
    );
  }
  const access = { trustProxy, ...(apiKey ? { apiKey } : {}), ...(allowedIPs ? { allowedIPs } : {}) };
  const admin = new AdminServer({ node, access, logger });
  await listenNamed({ port, setting: 'adminApi.port' }, () => admin.listen(port, bindHost));
  return admin;
}
