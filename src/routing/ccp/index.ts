export { type AdvertisedRoute, AdvertisedRoutes } from './advertised-routes.js';
export { LearnedRoutes, NO_TABLE_ID, type Relation } from './learned-routes.js';
export {
  type CcpOptions,
  CcpRefusal,
  CcpSpeaker,
  type CcpSpeakerDeps,
  MIN_UPDATE_INTERVAL_MS,
} from './speaker.js';
