export async function demoCommand(_opts: {
  duration?: string;
  rate: string;
  nodes: string;
}): Promise<number> {
  console.error('demo: not yet');
  return 2;
}
