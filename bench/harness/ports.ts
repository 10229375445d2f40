/** Free loopback ports, for the reference connector's listeners that must be told their port in advance. */
import { freePort } from '../../test/helpers/ports.js';

export { freePort };

/** `count` distinct free ports (the OS may hand a closed port out again, so duplicates are retried). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempts = 0; ports.size < count; attempts++) {
    if (attempts > count * 2) throw new Error(`could not find ${count} distinct free ports`);
    ports.add(await freePort());
  }
  return [...ports];
}
