export type { HealthStatus, NodeHealth, PeerHealth } from './health-server.js';
export { HealthServer, summarize } from './health-server.js';
