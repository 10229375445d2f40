/** Prints a node's /health answer; exit 0 when healthy or degraded, 1 otherwise. */
export async function healthCommand(baseUrl: string, timeoutMs: number): Promise<number> {
  const url = new URL('/health', baseUrl);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    console.log(text);
    return res.ok ? 0 : 1;
  } catch (err) {
    console.error(`health check of ${url.href} failed: ${(err as Error).message}`);
    return 1;
  }
}
