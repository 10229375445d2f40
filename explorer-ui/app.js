// The Explorer page: one live feed (WS) shared by the panels, and the polled snapshots.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { wsUrl } from './api.js';
import { ChannelsPanel } from './channels.js';
import { Charts } from './charts.js';
import { EventsLog } from './events-log.js';
import { Header } from './header.js';
import { html } from './html.js';
import { LiveFeed } from './live.js';
import { PacketsPanel } from './packets.js';
import { PeersPanel } from './peers.js';
import { usePoll } from './poll.js';

const POLL_MS = Object.freeze({ node: 30_000, health: 5_000, stats: 2_000, peers: 2_000, channels: 5_000 });
const STATS_WINDOW_S = 300;

function useFeed() {
  const feed = useMemo(() => new LiveFeed(wsUrl()), []);
  const [status, setStatus] = useState(feed.status);
  useEffect(() => {
    const off = feed.on('status', setStatus);
    feed.start();
    return () => {
      off();
      feed.stop();
    };
  }, [feed]);
  return { feed, status };
}

function App() {
  const { feed, status } = useFeed();
  const node = usePoll('api/node', null, POLL_MS.node);
  const health = usePoll('api/health', null, POLL_MS.health);
  const stats = usePoll('api/stats', { window: STATS_WINDOW_S }, POLL_MS.stats);
  const peers = usePoll('api/peers', null, POLL_MS.peers);
  const channels = usePoll('api/channels', null, POLL_MS.channels);
  const peerIds = useMemo(() => (peers.data?.peers ?? []).map((p) => p.id), [peers.data]);
  useEffect(() => {
    if (node.data) document.title = `${node.data.nodeId} · Explorer`;
  }, [node.data]);
  return html`
    <${Header} node=${node.data} nodeError=${node.error} health=${health.data} healthError=${health.error} feedStatus=${status} />
    <main>
      <${Charts} stats=${stats.data} error=${stats.error} />
      <${PacketsPanel} feed=${feed} peerIds=${peerIds} />
      <div class="columns">
        <${PeersPanel} peers=${peers.data} error=${peers.error} />
        <${EventsLog} feed=${feed} />
      </div>
      <${ChannelsPanel} feed=${feed} channels=${channels.data} error=${channels.error} />
    </main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading…" line: preact renders beside what it did not create
render(html`<${App} />`, root);
