/**
 * `connector channels list|show|open|topup|close|settle|wallet|withdraw`: a running node's
 * payment channels and wallet through its admin API (docs/standalone.md lists the endpoints).
 * Every command prints the node's JSON answer on stdout (`list` a table unless `--json`); a
 * refusal is one line on stderr with the status and the node's message, exit 1.
 */
import { type AdminTarget, adminCall } from './admin-client.js';

export type ChannelsAction =
  | { readonly kind: 'list'; readonly json: boolean }
  | { readonly kind: 'show'; readonly channelId: string }
  | { readonly kind: 'open'; readonly peerId: string; readonly amount: string }
  | { readonly kind: 'topup'; readonly channelId: string; readonly amount: string }
  | { readonly kind: 'close'; readonly channelId: string; readonly unilateral: boolean }
  | { readonly kind: 'settle'; readonly channelId: string }
  | { readonly kind: 'wallet' }
  | {
      readonly kind: 'withdraw';
      readonly to: string;
      readonly amount: string;
      readonly chain?: string | undefined;
    };

interface ChannelRow {
  channelId: string;
  peerId: string;
  direction: string;
  status: string;
  chain: string;
  deposit: string;
  transferred: string;
}

function request(action: ChannelsAction): [method: 'GET' | 'POST', path: string, body?: unknown] {
  const id = (channelId: string) => `admin/channels/${encodeURIComponent(channelId)}`;
  switch (action.kind) {
    case 'list':
      return ['GET', 'admin/channels'];
    case 'show':
      return ['GET', id(action.channelId)];
    case 'open':
      return ['POST', 'admin/channels', { peerId: action.peerId, amount: action.amount }];
    case 'topup':
      return ['POST', `${id(action.channelId)}/deposit`, { amount: action.amount }];
    case 'close':
      return ['POST', `${id(action.channelId)}/close`, { cooperative: !action.unilateral }];
    case 'settle':
      return ['POST', `${id(action.channelId)}/settle`, {}];
    case 'wallet':
      return ['GET', 'admin/wallet'];
    case 'withdraw':
      return [
        'POST',
        'admin/wallet/withdraw',
        {
          to: action.to,
          amount: action.amount,
          ...(action.chain === undefined ? {} : { chain: action.chain }),
        },
      ];
  }
}

function table(channels: ChannelRow[]): string {
  if (channels.length === 0) return 'no channels';
  const header = ['CHANNEL', 'PEER', 'DIRECTION', 'STATUS', 'CHAIN', 'DEPOSIT', 'TRANSFERRED'];
  const rows = channels.map((c) => [
    c.channelId,
    c.peerId,
    c.direction,
    c.status,
    c.chain,
    c.deposit,
    c.transferred,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export async function channelsCommand(target: AdminTarget, action: ChannelsAction): Promise<number> {
  const [method, path, body] = request(action);
  try {
    const answer = await adminCall(target, method, path, body);
    if (action.kind === 'list' && !action.json)
      console.log(table((answer as { channels: ChannelRow[] }).channels));
    else console.log(JSON.stringify(answer, null, 2));
    return 0;
  } catch (err) {
    console.error(`connector channels ${action.kind}: ${(err as Error).message}`);
    return 1;
  }
}
