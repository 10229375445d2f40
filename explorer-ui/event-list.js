// A bounded, newest-first list of events fed by the WS batches and by /api/events (on mount and
// after every reconnect, to fill what the socket missed). Each list keeps at most `max` events.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api.js';

const keyOf = (e) => (e.id > 0 ? e.id : `${e.type}|${e.ts}|${e.packetId ?? e.channelId ?? e.peerId ?? ''}`);
const newestFirst = (a, b) => b.ts - a.ts || b.id - a.id;

/** `kept` and `incoming` in any order; returns `kept` itself when nothing is new. */
export function mergeEvents(kept, incoming, max) {
  const seen = new Set(kept.map(keyOf));
  const fresh = [];
  for (const event of incoming) {
    const key = keyOf(event);
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push(event);
  }
  if (fresh.length === 0) return kept;
  return fresh.concat(kept).sort(newestFirst).slice(0, max);
}

/**
 * `types`: the event types this list holds; `max`: its bound; `historyLimit`: how many stored
 * events to load. Returns the events, how many batches were applied, and the history error.
 */
export function useEventList(feed, { types, max, historyLimit }) {
  const [state, setState] = useState({ events: [], batches: 0, error: undefined });
  const accepted = useRef(new Set(types));
  useEffect(() => {
    const controller = new AbortController();
    const loadHistory = async () => {
      try {
        const page = await getJson('api/events', { types: types.join(','), limit: historyLimit }, controller.signal);
        setState((s) => ({ ...s, events: mergeEvents(s.events, page.events, max), error: undefined }));
      } catch (error) {
        if (!controller.signal.aborted) setState((s) => ({ ...s, error }));
      }
    };
    const offBatch = feed.on('batch', (batch) => {
      const mine = batch.filter((e) => accepted.current.has(e.type));
      if (mine.length === 0) return;
      setState((s) => ({ ...s, events: mergeEvents(s.events, mine, max), batches: s.batches + 1 }));
    });
    const offReconnected = feed.on('reconnected', loadHistory);
    loadHistory();
    return () => {
      controller.abort();
      offBatch();
      offReconnected();
    };
  }, [feed]);
  return state;
}
