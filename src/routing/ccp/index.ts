export { type AdvertisedRoute, AdvertisedRoutes } from './advertised-routes.js';
export { type Covered, type DragonView, dragonCovered } from './dragon.js';
export { LearnedRoutes, NO_TABLE_ID, type Relation } from './learned-routes.js';
export { PrefixTree } from './prefix-tree.js';
export {
  type CcpOptions,
  CcpRefusal,
  CcpSpeaker,
  type CcpSpeakerDeps,
  MIN_UPDATE_INTERVAL_MS,
} from './speaker.js';
