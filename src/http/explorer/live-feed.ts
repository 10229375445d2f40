/**
 * `WS /ws`: every new event to every client as one JSON text frame, each event serialised once.
 * A client may narrow its stream with `{"types": [...]}` (an empty list: everything). The node
 * never buffers without bound: before each frame the client's `bufferedAmount` is checked, and
 * a client above the limit (1 MiB) is closed with 1008, so at most the limit plus one frame is
 * ever held for it. ws's own close timeout then destroys a socket that never answers the close.
 */
import type { WebSocket } from 'ws';
import { NODE_EVENT_TYPES, type NodeEvent, type NodeEventType } from '../../types/index.js';

export interface LiveFeedOptions {
  /** A client whose unsent bytes exceed this is closed with 1008. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Connections beyond this are closed with 1013 (try again later). Default 64. */
  maxClients?: number;
}

export const POLICY_VIOLATION = 1008;
const TRY_AGAIN_LATER = 1013;
const GOING_AWAY = 1001;
const OPEN = 1;
const KNOWN_TYPES: ReadonlySet<string> = new Set(NODE_EVENT_TYPES);

export class LiveFeed {
  /** Clients closed for being too slow, since start. */
  slowClientsClosed = 0;
  private readonly maxBufferedBytes: number;
  private readonly maxClients: number;
  /** Each client's narrowing; null: every type. */
  private readonly clients = new Map<WebSocket, ReadonlySet<NodeEventType> | null>();

  constructor(options: LiveFeedOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.maxClients = options.maxClients ?? 64;
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket): void {
    if (this.clients.size >= this.maxClients) {
      socket.close(TRY_AGAIN_LATER, 'too many explorer clients');
      return;
    }
    this.clients.set(socket, null);
    socket.on('message', (data, isBinary) => this.narrow(socket, isBinary ? undefined : String(data)));
    socket.on('close', () => this.clients.delete(socket));
    // Errors (a reset connection, an oversized frame) end in 'close'; without a listener ws would throw.
    socket.on('error', () => this.clients.delete(socket));
  }

  broadcast(events: readonly NodeEvent[]): void {
    if (this.clients.size === 0) return;
    for (const event of events) {
      let frame: string | undefined;
      for (const [socket, types] of this.clients) {
        if (types !== null && !types.has(event.type)) continue;
        if (socket.readyState !== OPEN) continue;
        if (socket.bufferedAmount > this.maxBufferedBytes) {
          this.clients.delete(socket);
          this.slowClientsClosed++;
          socket.close(POLICY_VIOLATION, 'too slow: send buffer over the limit');
          continue;
        }
        frame ??= JSON.stringify(event);
        socket.send(frame);
      }
    }
  }

  closeAll(): void {
    for (const socket of this.clients.keys()) socket.close(GOING_AWAY, 'explorer stopping');
    this.clients.clear();
  }

  private narrow(socket: WebSocket, text: string | undefined): void {
    const types = parseNarrowing(text);
    if (typeof types === 'string') {
      socket.send(JSON.stringify({ error: 'BadRequest', message: types }));
      return;
    }
    if (this.clients.has(socket)) this.clients.set(socket, types.length === 0 ? null : new Set(types));
  }
}

/** `{"types": [...]}` → the types; a string is the problem with the message. */
export function parseNarrowing(text: string | undefined): NodeEventType[] | string {
  if (text === undefined) return 'send a JSON text frame: {"types": [...]}';
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return 'not JSON: send {"types": [...]}';
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return 'send {"types": [...]}';
  const keys = Object.keys(message);
  if (keys.length !== 1 || keys[0] !== 'types') return 'the only field is types';
  const types = (message as { types: unknown }).types;
  if (!Array.isArray(types)) return 'types must be an array of event types';
  for (const t of types)
    if (typeof t !== 'string' || !KNOWN_TYPES.has(t)) return `types: unknown type ${JSON.stringify(t)}`;
  return types as NodeEventType[];
}
