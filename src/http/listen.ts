/** Starts a fastify app and returns the port it got (the one asked for, or the OS's pick for 0). */
import type { FastifyInstance } from 'fastify';

export async function listenOn(app: FastifyInstance, port: number, host: string): Promise<number> {
  await app.listen({ port, host });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
