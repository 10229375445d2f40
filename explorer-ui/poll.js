// usePoll: one GET now and every `intervalMs`, never two in flight, stopped on unmount.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

export function usePoll(path, params, intervalMs) {
  const [result, setResult] = useState({ data: undefined, error: undefined });
  const paramsKey = JSON.stringify(params ?? {});
  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    const tick = async () => {
      try {
        const data = await getJson(path, params, controller.signal);
        setResult({ data, error: undefined });
      } catch (error) {
        if (controller.signal.aborted) return;
        setResult((previous) => ({ data: previous.data, error }));
      }
      if (!controller.signal.aborted && intervalMs > 0) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // paramsKey stands for params: a fresh object each render must not restart the poll.
  }, [path, paramsKey, intervalMs]);
  return result;
}
