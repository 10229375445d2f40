/**
 * A business-logic server for tests: answers POST /handle-packet by the packet's data.
 *   "accept..."  -> accept (the node derives the data-scheme fulfillment), data "thanks"
 *   "reject..."  -> insufficient_funds
 *   "slow..."    -> no answer until the server closes
 *   "crash..."   -> HTTP 500
 *   "garbage..." -> 200 with a body that is not JSON
 * Transit copies (isTransit) are accepted, or held unanswered with `holdTransit`.
 * Every request is recorded (path, Authorization header, JSON body).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface SeenRequest {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export class TestBls {
  readonly requests: SeenRequest[] = [];
  holdTransit = false;
  private waiters: { match: (r: SeenRequest) => boolean; resolve: (r: SeenRequest) => void }[] = [];
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server = createServer((req, res) => this.onRequest(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return `http://127.0.0.1:${port}`;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      const seen = { path: req.url ?? '', authorization: req.headers.authorization, body };
      this.requests.push(seen);
      for (const w of this.waiters.filter((x) => x.match(seen))) w.resolve(seen);
      this.waiters = this.waiters.filter((x) => !x.match(seen));
      const text = Buffer.from(String(body.data ?? ''), 'base64').toString();
      if (body.isTransit === true && this.holdTransit) {
        this.held.add(res);
        return;
      }
      if (body.isTransit === true || text.startsWith('accept')) {
        return json(res, 200, { accept: true, data: Buffer.from('thanks').toString('base64') });
      }
      if (text.startsWith('reject')) {
        const message = `no funds for ${text.slice('reject: '.length)}`;
        return json(res, 200, { accept: false, rejectReason: { code: 'insufficient_funds', message } });
      }
      if (text.startsWith('slow')) {
        this.held.add(res);
        return;
      }
      if (text.startsWith('crash')) return json(res, 500, { error: 'boom' });
      res.writeHead(200, { 'content-type': 'application/json' }).end('this is not json');
    });
  }

  /** Resolves with the first request (past or future) that matches. */
  waitFor(match: (r: SeenRequest) => boolean): Promise<SeenRequest> {
    const seen = this.requests.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Requests received and not answered yet. */
  get heldCount(): number {
    return [...this.held].filter((r) => !r.writableEnded && !r.destroyed).length;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
