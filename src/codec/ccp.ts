/**
 * CCP, the Connector-to-Connector Protocol of ILPv4 as `ilp-protocol-ccp` 1.2 and ilp-connector
 * speak it (RFC 0010 describes only the ILPv1 broadcast): the data of Prepares of amount 0 to
 * `peer.route.control` (a route control request) and `peer.route.update` (a route update),
 * both locked with the peer-protocol condition sha256(32 zero bytes) and answered by a Fulfill
 * of 32 zero bytes with empty data.
 *
 * Control: UInt8 mode ‖ 16-byte routing table id ‖ UInt32 epoch ‖ VarUInt n ‖ n × VarOctetString
 * feature (UTF-8).
 * Update: 16-byte routing table id ‖ UInt32 current, from and to epochs ‖ UInt32 hold-down ms ‖
 * VarOctetString speaker ‖ VarUInt n ‖ n × route ‖ VarUInt m ‖ m × VarOctetString withdrawn
 * prefix; a route is VarOctetString prefix ‖ VarUInt k ‖ k × VarOctetString hop ‖ 32-byte auth ‖
 * VarUInt p ‖ p × (UInt8 meta ‖ UInt16 id ‖ VarOctetString value).
 *
 * Decoding is strict: mode 0 or 1, printable ASCII names, no trailing bytes.
 */
import { CodecError } from '../utils/errors.js';
import { MAX_ADDRESS_LENGTH } from './address.js';
import { ILDCP_CONDITION, ILDCP_FULFILLMENT } from './ildcp.js';
import {
  decodeAscii,
  decodeUtf8,
  isPrintableAscii,
  lengthOfLength,
  Reader,
  uintByteLength,
  Writer,
} from './oer.js';

export const CCP_CONTROL_DESTINATION = 'peer.route.control';
export const CCP_UPDATE_DESTINATION = 'peer.route.update';
/** Every peer protocol (IL-DCP, CCP) uses the same lock: sha256 of 32 zero bytes. */
export const PEER_PROTOCOL_CONDITION = ILDCP_CONDITION;
export const PEER_PROTOCOL_FULFILLMENT = ILDCP_FULFILLMENT;
export const CCP_MODE = { idle: 0, sync: 1 } as const;
export type CcpMode = (typeof CCP_MODE)[keyof typeof CCP_MODE];
export const ROUTE_AUTH_LENGTH = 32;
const UUID_LENGTH = 16;
const MAX_FEATURES = 256;
const MAX_FEATURE_LENGTH = 1024;
const MAX_PROP_VALUE_LENGTH = 32_767;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CcpRouteControl {
  mode: CcpMode;
  /** Formatted as 8-4-4-4-12 lowercase hex, as ilp-protocol-ccp does. */
  lastKnownRoutingTableId: string;
  lastKnownEpoch: number;
  features: string[];
}

export interface CcpRouteProp {
  isOptional: boolean;
  isTransitive: boolean;
  isPartial: boolean;
  isUtf8: boolean;
  id: number;
  value: Uint8Array;
}

export interface CcpRoute {
  prefix: string;
  path: string[];
  auth: Uint8Array;
  props: CcpRouteProp[];
}

export interface CcpRouteUpdate {
  routingTableId: string;
  currentEpochIndex: number;
  fromEpochIndex: number;
  toEpochIndex: number;
  holdDownTime: number;
  speaker: string;
  newRoutes: CcpRoute[];
  withdrawnRoutes: string[];
}

function uuidBytes(id: string): Uint8Array {
  if (typeof id !== 'string' || !UUID.test(id.toLowerCase()))
    throw new CodecError(`routing table id must be a UUID, got ${JSON.stringify(String(id).slice(0, 40))}`);
  return new Uint8Array(Buffer.from(id.replace(/-/g, ''), 'hex'));
}

function readUuid(r: Reader): string {
  const hex = Buffer.from(r.readOctetString(UUID_LENGTH)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checkUInt32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new CodecError(`${what} must be a UInt32, got ${value}`);
}

function checkName(text: string, what: string): void {
  if (typeof text !== 'string' || text.length > MAX_ADDRESS_LENGTH || !isPrintableAscii(text))
    throw new CodecError(`${what} must be printable ASCII of at most ${MAX_ADDRESS_LENGTH} characters`);
}

const varLength = (n: number): number => lengthOfLength(n) + n;
const countLength = (n: number): number => 1 + uintByteLength(n);

export function encodeCcpRouteControl(c: CcpRouteControl): Uint8Array {
  if (c.mode !== CCP_MODE.idle && c.mode !== CCP_MODE.sync)
    throw new CodecError(`unknown CCP mode ${c.mode}`);
  const id = uuidBytes(c.lastKnownRoutingTableId);
  checkUInt32(c.lastKnownEpoch, 'last known epoch');
  const features = c.features.map((f) => new Uint8Array(Buffer.from(f, 'utf8')));
  const size =
    1 +
    UUID_LENGTH +
    4 +
    countLength(features.length) +
    features.reduce((n, f) => n + varLength(f.length), 0);
  const w = new Writer(size);
  w.writeUInt8(c.mode);
  w.writeOctetString(id);
  w.writeUInt32(c.lastKnownEpoch);
  w.writeVarUIntNumber(features.length);
  for (const f of features) w.writeVarOctetString(f);
  return w.finish();
}

export function decodeCcpRouteControl(bytes: Uint8Array): CcpRouteControl {
  const r = new Reader(bytes);
  const mode = r.readUInt8();
  if (mode !== CCP_MODE.idle && mode !== CCP_MODE.sync) throw new CodecError(`unknown CCP mode ${mode}`, 0);
  const lastKnownRoutingTableId = readUuid(r);
  const lastKnownEpoch = r.readUInt32();
  const count = r.readVarUIntNumber(MAX_FEATURES);
  const features: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    features.push(decodeUtf8(r.readVarOctetString(MAX_FEATURE_LENGTH), 'CCP feature', at));
  }
  r.done('CCP route control');
  return { mode, lastKnownRoutingTableId, lastKnownEpoch, features };
}

/** ilp-protocol-ccp's meta byte: a mandatory property is always written as transitive. */
function propMeta(p: CcpRouteProp): number {
  let meta = 0;
  if (p.isOptional) {
    meta |= 0x80;
    if (p.isTransitive) meta |= 0x40 | (p.isPartial ? 0x20 : 0);
  } else {
    meta |= 0x40;
  }
  return meta | (p.isUtf8 ? 0x10 : 0);
}

function routeSize(route: CcpRoute): number {
  checkName(route.prefix, 'route prefix');
  for (const hop of route.path) checkName(hop, 'route path hop');
  if (route.auth.length !== ROUTE_AUTH_LENGTH)
    throw new CodecError(`route auth must be ${ROUTE_AUTH_LENGTH} bytes`);
  let size = varLength(route.prefix.length) + countLength(route.path.length);
  for (const hop of route.path) size += varLength(hop.length);
  size += ROUTE_AUTH_LENGTH + countLength(route.props.length);
  for (const p of route.props) {
    if (!Number.isInteger(p.id) || p.id < 0 || p.id > 0xffff)
      throw new CodecError(`route property id ${p.id}`);
    size += 3 + varLength(p.value.length);
  }
  return size;
}

export function encodeCcpRouteUpdate(u: CcpRouteUpdate): Uint8Array {
  const id = uuidBytes(u.routingTableId);
  for (const [value, what] of [
    [u.currentEpochIndex, 'current epoch'],
    [u.fromEpochIndex, 'from epoch'],
    [u.toEpochIndex, 'to epoch'],
    [u.holdDownTime, 'hold-down time'],
  ] as const)
    checkUInt32(value, what);
  checkName(u.speaker, 'speaker');
  let size = UUID_LENGTH + 16 + varLength(u.speaker.length) + countLength(u.newRoutes.length);
  for (const route of u.newRoutes) size += routeSize(route);
  size += countLength(u.withdrawnRoutes.length);
  for (const prefix of u.withdrawnRoutes) {
    checkName(prefix, 'withdrawn prefix');
    size += varLength(prefix.length);
  }
  const w = new Writer(size);
  w.writeOctetString(id);
  w.writeUInt32(u.currentEpochIndex);
  w.writeUInt32(u.fromEpochIndex);
  w.writeUInt32(u.toEpochIndex);
  w.writeUInt32(u.holdDownTime);
  w.writeVarAscii(u.speaker);
  w.writeVarUIntNumber(u.newRoutes.length);
  for (const route of u.newRoutes) {
    w.writeVarAscii(route.prefix);
    w.writeVarUIntNumber(route.path.length);
    for (const hop of route.path) w.writeVarAscii(hop);
    w.writeOctetString(route.auth);
    w.writeVarUIntNumber(route.props.length);
    for (const p of route.props) {
      w.writeUInt8(propMeta(p));
      w.writeUInt16(p.id);
      w.writeVarOctetString(p.value);
    }
  }
  w.writeVarUIntNumber(u.withdrawnRoutes.length);
  for (const prefix of u.withdrawnRoutes) w.writeVarAscii(prefix);
  return w.finish();
}

function readName(r: Reader, what: string): string {
  const at = r.offset;
  return decodeAscii(r.readVarOctetString(MAX_ADDRESS_LENGTH), what, at);
}

function readRoute(r: Reader): CcpRoute {
  const prefix = readName(r, 'route prefix');
  const hops = r.readVarUIntNumber(r.remaining);
  const path: string[] = [];
  for (let i = 0; i < hops; i++) path.push(readName(r, 'route path hop'));
  const auth = r.readOctetString(ROUTE_AUTH_LENGTH);
  const count = r.readVarUIntNumber(r.remaining);
  const props: CcpRouteProp[] = [];
  for (let i = 0; i < count; i++) {
    const meta = r.readUInt8();
    const id = r.readUInt16();
    const value = r.readVarOctetString(MAX_PROP_VALUE_LENGTH);
    props.push({
      isOptional: (meta & 0x80) !== 0,
      isTransitive: (meta & 0x40) !== 0,
      isPartial: (meta & 0x20) !== 0,
      isUtf8: (meta & 0x10) !== 0,
      id,
      value,
    });
  }
  return { prefix, path, auth, props };
}

export function decodeCcpRouteUpdate(bytes: Uint8Array): CcpRouteUpdate {
  const r = new Reader(bytes);
  const routingTableId = readUuid(r);
  const currentEpochIndex = r.readUInt32();
  const fromEpochIndex = r.readUInt32();
  const toEpochIndex = r.readUInt32();
  const holdDownTime = r.readUInt32();
  const speaker = readName(r, 'speaker');
  // Each entry takes at least one byte, so the bytes left bound every count.
  const count = r.readVarUIntNumber(r.remaining);
  const newRoutes: CcpRoute[] = [];
  for (let i = 0; i < count; i++) newRoutes.push(readRoute(r));
  const withdrawn = r.readVarUIntNumber(r.remaining);
  const withdrawnRoutes: string[] = [];
  for (let i = 0; i < withdrawn; i++) withdrawnRoutes.push(readName(r, 'withdrawn prefix'));
  r.done('CCP route update');
  return {
    routingTableId,
    currentEpochIndex,
    fromEpochIndex,
    toEpochIndex,
    holdDownTime,
    speaker,
    newRoutes,
    withdrawnRoutes,
  };
}

/** Bytes a route takes in an update, for senders that keep updates under the ILP data limit. */
export function ccpRouteSize(route: CcpRoute): number {
  return routeSize(route);
}
