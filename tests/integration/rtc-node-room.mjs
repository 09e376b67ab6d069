// Shared by the test files that put @livekit/rtc-node clients in a room (see agent.mjs): rooms of
// connected agents, a warm-up message, burst results, and nftables rules in the test's private
// network namespace (scripts/test-integration.sh). nft rules and ss -K must never touch the host,
// so inRoom refuses to run outside that namespace.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';

import { randomRoom } from './helpers.mjs';
import { awaitPeers, withAgents } from './agent.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;

export const b64 = (buf) => Buffer.from(buf).toString('base64');
export const isData = (topic) => (e) => e.event === 'data' && e.topic === topic;

/** Starts agents A, B, C... (in order, each connected) in a fresh room; everyone knows everyone. */
export function inRoom(srv, ids, fn, grants = {}) {
  // nft rules and ss -K must never touch the host: run only inside the test namespace
  assert.ok(process.env.DCSFU_IN_NETNS === '1' && nodeIp,
    'run these through scripts/test-integration.sh (private network namespace, DCSFU_NODE_IP)');
  const room = randomRoom('data');
  return withAgents(srv, ids.map((identity) => ({ identity, room, grant: grants[identity] })), async (agents) => {
    for (const a of agents) await awaitPeers(a, ids.filter((id) => id !== a.identity));
    await fn(agents, room);
  });
}

/** A reliable message from `from` that every agent in `to` receives: channels are up. */
export async function warmUp(from, to) {
  const topic = `warmup-${crypto.randomBytes(3).toString('hex')}`;
  await from.do({ cmd: 'publish', data: b64('warm-up'), topic });
  for (const a of to) await a.next(isData(topic), 5000, `warm-up from ${from.identity}`);
}

/**
 * The receiver's burstEnd for `topic`; when the last message never comes, what did arrive
 * (from the agent's counters), so that the assertions show how many were lost.
 */
export async function burstResult(rx, topic, ms) {
  try {
    return await rx.next((e) => e.event === 'burstEnd' && e.topic === topic, ms, `the end of ${topic}`);
  } catch (err) {
    if (!/timed out/.test(err.message)) throw err;
    rx.send({ cmd: 'counters' });
    const c = await rx.next('counters', 5000, 'counters');
    const got = c.bursts.find((b) => b.topic === topic) ?? { count: 0, disorder: 0, bad: 0 };
    return { ...got, t: Date.now(), lastMissing: true, inOrder: got.disorder === 0 };
  }
}

export function assertBurst(end, total) {
  assert.equal(end.count, total, `all messages arrived${end.lastMissing ? ' (the last one never came)' : ''}`);
  assert.ok(end.inOrder && !end.lastMissing, `in order and complete (${end.disorder} gaps or reorderings)`);
  assert.equal(end.bad, 0, 'payloads intact');
}

export function assertData(ev, { identity, kind, topic, data }) {
  assert.equal(ev.identity, identity, 'sender identity');
  assert.equal(ev.kind, kind, 'kind as rtc-node reports it');
  assert.equal(ev.topic, topic, 'topic');
  if (data !== undefined) assert.equal(ev.data, b64(data), 'payload bytes');
}

// nftables in the test namespace: one table of our own, removed at the end of each test
export const NFT_TABLE = 'dcsfu_datatest';
export function nft(script) {
  execFileSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
}
export function nftReset() {
  try { execFileSync('nft', ['delete', 'table', 'inet', NFT_TABLE], { stdio: 'ignore' }); } catch { /* absent */ }
}
export function nftInputRules(rules) {
  nftReset();
  nft(`table inet ${NFT_TABLE} {\n chain in {\n  type filter hook input priority 0;\n${rules.map((r) => `  ${r}\n`).join('')} }\n}\n`);
}

