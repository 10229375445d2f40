export {
  DEFAULT_MAX_ROUTES,
  MAX_PREFIX_CHARS,
  type RouteEntry,
  type RouteInfo,
  RoutingTable,
  type RoutingTableOptions,
} from './routing-table.js';
