/**
 * Writes test/fixtures/ccp.json: CCP messages encoded by the reference codec `ilp-protocol-ccp`
 * (a devDependency, never imported at run time), from a fixed seed so the file is reproducible:
 * `node scripts/ccp-vectors.mjs`. Hand-made invalid payloads follow the valid ones.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ccp = require('ilp-protocol-ccp');

let seed = 0x5eed;
function rand(n) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 16) % n;
}
const hex = (n) => Buffer.from(Array.from({ length: n }, () => rand(256))).toString('hex');
const uuid = () => hex(16).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const segment = () => ['alice', 'bob', 'hub', 'x', 'node-7', 'a_b', 'z~1'][rand(7)];
const address = () =>
  ['g', 'test', 'g'][rand(3)] + Array.from({ length: 1 + rand(4) }, () => `.${segment()}`).join('');

function control(name) {
  const request = {
    mode: rand(2),
    lastKnownRoutingTableId: uuid(),
    lastKnownEpoch: rand(2) === 0 ? rand(100) : rand(0xffffffff),
    features: Array.from({ length: rand(3) }, () => ['multipath', 'cl\u00e9', 'x'][rand(3)]),
  };
  return { name, fields: request, hex: ccp.serializeCcpRouteControlRequestPayload(request).toString('hex') };
}

function prop() {
  const isUtf8 = rand(2) === 0;
  const p = {
    isOptional: rand(2) === 0,
    isTransitive: rand(2) === 0,
    isPartial: rand(2) === 0,
    id: rand(65536),
  };
  return isUtf8
    ? { ...p, isUtf8, value: 'v\u00e9' }
    : { ...p, isUtf8, value: Buffer.from(hex(rand(5)), 'hex') };
}

function update(name, routes, withdrawn) {
  const request = {
    routingTableId: uuid(),
    currentEpochIndex: rand(1000),
    fromEpochIndex: rand(100),
    toEpochIndex: 100 + rand(100),
    holdDownTime: 45000,
    speaker: address(),
    newRoutes: Array.from({ length: routes }, () => ({
      prefix: address(),
      path: Array.from({ length: rand(4) }, address),
      auth: Buffer.from(hex(32), 'hex'),
      props: Array.from({ length: rand(3) }, prop),
    })),
    withdrawnRoutes: Array.from({ length: withdrawn }, address),
  };
  const bytes = ccp.serializeCcpRouteUpdateRequestPayload(request);
  // What the reference reads back (its meta quirk: a mandatory prop is read as transitive).
  const read = ccp.deserializeCcpRouteUpdateRequestPayload(bytes);
  const fields = {
    ...read,
    newRoutes: read.newRoutes.map((r) => ({
      ...r,
      auth: r.auth.toString('hex'),
      props: r.props.map((p) => ({ ...p, value: p.isUtf8 ? p.value : p.value.toString('hex') })),
    })),
  };
  return { name, fields, hex: bytes.toString('hex') };
}

const controls = [
  control('idle or sync, no features'),
  control('random'),
  control('random'),
  control('random'),
];
const updates = [
  update('heartbeat: no routes', 0, 0),
  update('one route', 1, 0),
  update('withdrawals only', 0, 3),
  update('routes and withdrawals', 4, 2),
  update('many routes', 40, 10),
];
const prepare = ccp.serializeCcpRouteControlRequest(controls[1].fields);
const fixture = {
  description:
    'CCP (ILPv4 route broadcasting) payloads encoded by ilp-protocol-ccp 1.2.3 (scripts/ccp-vectors.mjs, fixed seed). `fields` are what the reference reads back; prop values are hex unless isUtf8.',
  destinations: { control: ccp.CCP_CONTROL_DESTINATION, update: ccp.CCP_UPDATE_DESTINATION },
  condition: ccp.PEER_PROTOCOL_CONDITION.toString('hex'),
  fulfillment: ccp.PEER_PROTOCOL_FULFILLMENT.toString('hex'),
  response: ccp.serializeCcpResponse().toString('hex'),
  controlPrepareDataHex: controls[1].hex,
  controlPrepareDestination: require('ilp-packet').deserializeIlpPrepare(prepare).destination,
  controls,
  updates,
  invalidControls: [
    { name: 'mode 2', hex: `02${'00'.repeat(16)}0000000001 00`.replace(' ', '') },
    { name: 'truncated table id', hex: `01${'00'.repeat(10)}` },
    { name: 'trailing byte', hex: `01${'00'.repeat(16)}000000000100ff` },
    { name: 'feature not UTF-8', hex: `01${'00'.repeat(16)}00000000010101ff` },
  ],
  invalidUpdates: [
    { name: 'truncated epochs', hex: `${'00'.repeat(16)}00000001` },
    {
      name: 'speaker with a control byte',
      hex: `${'00'.repeat(16)}${'00'.repeat(16)}02670a0100 0100`.replace(' ', ''),
    },
    { name: 'route count beyond the bytes', hex: `${'00'.repeat(16)}${'00'.repeat(16)}0167017f` },
    { name: 'trailing byte after withdrawals', hex: `${'00'.repeat(16)}${'00'.repeat(16)}016701000100ff` },
  ],
};
writeFileSync(new URL('../test/fixtures/ccp.json', import.meta.url), `${JSON.stringify(fixture, null, 2)}\n`);
console.log('wrote test/fixtures/ccp.json');
