/**
 * JSON schemas of the admin API's bodies and parameters. They check shapes and bounds; the node
 * then validates meaning (addresses, URLs, amounts) with the config rules and says what is wrong.
 */

const AMOUNT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$', maxLength: 20 } as const;
/** Token base units: uint128 at most (39 digits; the operator checks the exact bound). */
const TOKEN_AMOUNT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,38})$', maxLength: 39 } as const;
const PEER_ID = { type: 'string', minLength: 1, maxLength: 128 } as const;
const PREFIX = { type: 'string', maxLength: 1023 } as const;

export const peerParams = {
  type: 'object',
  required: ['peerId'],
  properties: { peerId: PEER_ID },
} as const;

export const removePeerQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { removeRoutes: { type: 'string', enum: ['true', 'false'] } },
} as const;

export const addPeerBody = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: PEER_ID,
    url: { type: 'string', maxLength: 2048 },
    authToken: { type: 'string', maxLength: 4096 },
    evmAddress: { type: 'string', maxLength: 64 },
    settlementChain: { type: 'string', minLength: 1, maxLength: 64 },
    relation: { type: 'string', enum: ['peer', 'child', 'parent'] },
    routes: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['prefix'],
        additionalProperties: false,
        properties: { prefix: PREFIX, priority: { type: 'integer' } },
      },
    },
    maxPacketAmount: AMOUNT,
    rateLimit: {
      type: 'object',
      required: ['packetsPerSecond', 'burst'],
      additionalProperties: false,
      properties: {
        packetsPerSecond: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'integer', minimum: 1 },
      },
    },
    balance: {
      type: 'object',
      additionalProperties: false,
      properties: { maximum: AMOUNT, settleThreshold: AMOUNT, settleTo: AMOUNT },
    },
  },
} as const;

export const addRouteBody = {
  type: 'object',
  required: ['prefix', 'nextHop'],
  additionalProperties: false,
  properties: { prefix: PREFIX, nextHop: PEER_ID, priority: { type: 'integer' } },
} as const;

export const routeParams = {
  type: 'object',
  required: ['prefix'],
  properties: { prefix: PREFIX },
} as const;

export const ilpSendBody = {
  type: 'object',
  required: ['destination', 'amount'],
  additionalProperties: false,
  properties: {
    destination: { type: 'string', maxLength: 1023 },
    amount: AMOUNT,
    // base64 of at most 32767 bytes is at most 43,692 characters.
    data: { type: 'string', maxLength: 43_692 },
    executionCondition: { type: 'string', maxLength: 44 },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    timeout: { type: 'integer', minimum: 1, maximum: 600_000 },
  },
} as const;

export const openChannelBody = {
  type: 'object',
  required: ['peerId', 'amount'],
  additionalProperties: false,
  properties: { peerId: PEER_ID, amount: AMOUNT },
} as const;

export const channelParams = {
  type: 'object',
  required: ['channelId'],
  properties: { channelId: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } },
} as const;

export const depositBody = {
  type: 'object',
  required: ['amount'],
  additionalProperties: false,
  properties: { amount: TOKEN_AMOUNT },
} as const;

export const closeChannelBody = {
  type: 'object',
  additionalProperties: false,
  properties: { cooperative: { type: 'boolean' } },
} as const;

export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const withdrawBody = {
  type: 'object',
  required: ['to', 'amount'],
  additionalProperties: false,
  properties: {
    to: { type: 'string', minLength: 1, maxLength: 64 },
    amount: TOKEN_AMOUNT,
    chain: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
