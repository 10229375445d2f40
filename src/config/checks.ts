/**
 * Checks that span fields, and the translation of zod issues into our `ConfigIssue`s.
 *
 * zod skips an object's refinements once any of its fields failed, so the checks between peers and
 * routes run here on the raw input instead: a config with a bad port and a route to an unknown
 * peer reports both at once.
 */
import { z } from 'zod';
import type { ConfigIssue } from '../utils/errors.js';
import { isLoopbackHost } from '../utils/net.js';
import { isPlainObject } from './env.js';
import { kmsIssues } from './kms.js';
import { connectorConfigSchema } from './schema.js';

type Output = z.output<typeof connectorConfigSchema>;

function checkPeers(peers: readonly unknown[], nodeId: unknown, issues: ConfigIssue[]): Set<string> {
  const firstIndex = new Map<string, number>();
  let parentIndex: number | undefined;
  peers.forEach((peer, i) => {
    if (!isPlainObject(peer)) return;
    if (typeof peer.id === 'string') {
      const first = firstIndex.get(peer.id);
      if (first !== undefined) {
        issues.push({
          path: `peers.${i}.id`,
          message: `duplicate peer id "${peer.id}" (also peers.${first}.id)`,
        });
      } else firstIndex.set(peer.id, i);
      if (peer.id === nodeId) {
        // A route whose nextHop is the nodeId means local delivery, so a peer of that name is ambiguous.
        issues.push({ path: `peers.${i}.id`, message: `must differ from nodeId "${peer.id}"` });
      }
    }
    if (peer.relation === 'parent') {
      if (parentIndex === undefined) parentIndex = i;
      else {
        const message = `at most one peer may be the parent (peers.${parentIndex} already is)`;
        issues.push({ path: `peers.${i}.relation`, message });
      }
    }
  });
  return new Set(firstIndex.keys());
}

function checkRoutes(
  routes: readonly unknown[],
  peerIds: Set<string>,
  nodeId: unknown,
  issues: ConfigIssue[],
) {
  const seen = new Map<string, number>();
  routes.forEach((route, i) => {
    if (!isPlainObject(route) || typeof route.nextHop !== 'string') return;
    const { nextHop, prefix } = route;
    if (nextHop !== nodeId && !peerIds.has(nextHop)) {
      const message = `"${nextHop}" is neither a configured peer id nor this node's nodeId`;
      issues.push({ path: `routes.${i}.nextHop`, message });
    }
    if (typeof prefix !== 'string') return;
    const key = JSON.stringify([prefix, nextHop]);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else issues.push({ path: `routes.${i}`, message: `same prefix and nextHop as routes.${first}` });
  });
}

/** Cross-field checks on the unvalidated input; tolerant of any shape. */
export function crossCheck(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isPlainObject(raw)) return issues;
  const peers = Array.isArray(raw.peers) ? raw.peers : [];
  const peerIds = checkPeers(peers, raw.nodeId, issues);
  if (Array.isArray(raw.routes)) checkRoutes(raw.routes, peerIds, raw.nodeId, issues);
  return issues;
}

/** Rules about combinations of valid values; run only on a config that passed the schema. */
export function semanticCheck(config: Output): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { adminApi, localDelivery, explorer } = config;
  if (
    config.environment === 'production' &&
    adminApi.enabled &&
    !adminApi.apiKey &&
    !adminApi.allowedIPs?.length
  ) {
    const message = 'required in production when the admin API is enabled, unless adminApi.allowedIPs is set';
    issues.push({ path: 'adminApi.apiKey', message });
  }
  if (
    explorer.enabled &&
    explorer.host !== undefined &&
    !isLoopbackHost(explorer.host) &&
    !explorer.apiKey &&
    !adminApi.apiKey
  ) {
    const message = `required when explorer.host (${explorer.host}) is not loopback, unless adminApi.apiKey is set`;
    issues.push({ path: 'explorer.apiKey', message });
  }
  if (
    config.deploymentMode === 'standalone' &&
    localDelivery.enabled &&
    localDelivery.handlerUrl === undefined
  ) {
    const message = 'required when deploymentMode is standalone and local delivery is enabled';
    issues.push({ path: 'localDelivery.handlerUrl', message });
  }
  issues.push(...kmsIssues(config.security));
  if (config.mode === 'gateway' && config.gateway === undefined)
    issues.push({ path: 'gateway', message: 'required when mode is gateway (docs/gateway.md)' });
  if (config.mode !== 'gateway' && config.gateway !== undefined)
    issues.push({ path: 'mode', message: 'must be gateway when a gateway section is given' });
  return issues;
}

/** Follows wrappers (optional, default, pipes, arrays) to the object schema at `path`, if any. */
function objectAt(path: readonly PropertyKey[]): z.ZodObject | undefined {
  let schema: z.ZodType = connectorConfigSchema;
  let i = 0;
  for (;;) {
    if (
      schema instanceof z.ZodOptional ||
      schema instanceof z.ZodDefault ||
      schema instanceof z.ZodPrefault
    ) {
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodPipe) {
      schema = (schema.in instanceof z.ZodTransform ? schema.out : schema.in) as z.ZodType;
    } else if (i === path.length) {
      return schema instanceof z.ZodObject ? schema : undefined;
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element as z.ZodType;
      i++;
    } else if (schema instanceof z.ZodObject) {
      const next = (schema.shape[String(path[i])] ?? schema.def.catchall) as z.ZodType | undefined;
      if (next === undefined) return undefined;
      schema = next;
      i++;
    } else return undefined;
  }
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  const known = Object.keys(objectAt(parent)?.shape ?? {});
  const lower = key.toLowerCase();
  const guess =
    known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => editDistance(k.toLowerCase(), lower) <= 2);
  if (guess !== undefined) return `unknown key "${key}" (did you mean "${guess}"?)`;
  return known.length > 0 ? `unknown key "${key}" (known keys: ${known.join(', ')})` : `unknown key "${key}"`;
}

/** Reads as "required" rather than zod's "expected string, received undefined". */
export const zodErrorMap: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

/**
 * One ConfigIssue per zod issue (one per key for unknown keys). A problem in a field that an env
 * var set is reported under `env.<VAR>`, because that is where the operator must fix it.
 */
export function fromZodIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  envPaths: ReadonlyMap<string, string>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const push = (segments: readonly PropertyKey[], message: string) => {
    const path = segments.map(String).join('.');
    for (const [fieldPath, name] of envPaths) {
      if (path === fieldPath || path.startsWith(`${fieldPath}.`)) {
        issues.push({ path: `env.${name}`, message: `${path}: ${message}` });
        return;
      }
    }
    issues.push({ path, message });
  };
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) push([...issue.path, key], unknownKeyMessage(issue.path, key));
    } else push(issue.path, issue.message);
  }
  return issues;
}
