/** The `gateway` config section and its tie to `mode`. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigLoader } from '../../src/config/index.js';
import { ConfigurationError } from '../../src/utils/errors.js';

const base = { nodeId: 'g', btpServerPort: 0, environment: 'development' as const };
const gateway = {
  network: 'base-sepolia',
  rpcUrl: 'http://127.0.0.1:8545',
  asset: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  routes: [{ path: '/weather', destination: 'g.agent', price: '1000' }],
};

function issues(config: object): string[] {
  try {
    ConfigLoader.load(config as never, { env: {} });
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

it('resolves a gateway with its defaults', () => {
  const config = ConfigLoader.load({ ...base, mode: 'gateway', gateway } as never, { env: {} });
  assert.equal(config.gateway?.port, 8402);
  assert.equal(config.gateway?.host, '127.0.0.1');
  assert.equal(config.gateway?.routes[0]?.price, 1000n);
  assert.equal(config.gateway?.routes[0]?.maxTimeoutSeconds, 60);
  assert.equal(config.gateway?.settleMarginSeconds, 10);
});

it('ties the section to mode: gateway, both ways', () => {
  assert.deepEqual(issues({ ...base, mode: 'gateway' }), [
    'gateway: required when mode is gateway (docs/gateway.md)',
  ]);
  assert.deepEqual(issues({ ...base, gateway }), ['mode: must be gateway when a gateway section is given']);
});

it('reports bad routes with their paths', () => {
  const bad = {
    ...gateway,
    routes: [
      { path: 'weather', destination: 'g.agent', price: '1' },
      { path: '/x', destination: 'nope', price: '0' },
      { path: '/y', destination: 'g.y', price: (10n ** 18n).toString() },
    ],
  };
  const found = issues({ ...base, mode: 'gateway', gateway: bad });
  assert.ok(
    found.some((i) => i.startsWith('gateway.routes.0.path')),
    found.join('\n'),
  );
  assert.ok(
    found.some((i) => i.startsWith('gateway.routes.1.destination')),
    found.join('\n'),
  );
  assert.ok(
    found.some((i) => i.startsWith('gateway.routes.1.price')),
    found.join('\n'),
  );
  assert.ok(
    found.some((i) => i.startsWith('gateway.routes.2.price')),
    found.join('\n'),
  );
  assert.ok(
    issues({ ...base, mode: 'gateway', gateway: { ...gateway, rout: [] } }).some((i) =>
      /did you mean/.test(i),
    ),
  );
});
