/**
 * Waits for a peer's BTP link to come up, at most `timeoutMs`: registerPeer resolves once the
 * link it dials is up, so the caller's next sendPacket finds it (or knows it is not: false).
 */
import type { EventEmitter } from 'node:events';

export function waitForLink(
  events: EventEmitter,
  isConnected: (peerId: string) => boolean,
  peerId: string,
  timeoutMs: number,
): Promise<boolean> {
  if (isConnected(peerId)) return Promise.resolve(true);
  if (timeoutMs <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onUp = (id: string) => {
      if (id !== peerId) return;
      finish(true);
    };
    const timer = setTimeout(() => finish(isConnected(peerId)), timeoutMs);
    function finish(connected: boolean) {
      clearTimeout(timer);
      events.off('peer:connected', onUp);
      resolve(connected);
    }
    events.on('peer:connected', onUp);
  });
}
