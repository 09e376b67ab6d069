// Slow and stuck receivers (docs/DATA.md, "Slow and stuck receivers"): one participant stops
// reading (SIGSTOP: its SCTP window fills and nothing is acknowledged) while a publisher sends
// reliable and lossy data to the room for a few seconds. The others must get every reliable
// message in order, at a latency close to that of the same run before the stalled receiver
// joined (so that both runs have the same clients using the machine's CPU); the
// stalled receiver's lossy data is dropped first and counted, its reliable data queues up to
// limit.max_data_queue_messages/bytes (small here: 16 messages, 256 KiB), then
// limit.data_queue_full_action applies, counted and logged: `reconnect` (the default) removes
// it with Leave{RECONNECT} and it rejoins once it runs again; `drop` keeps it and drops the
// newest messages for it, and it gets the rest in order when it runs again.
//
// Needs the network namespace of scripts/test-integration.sh (DCSFU_NODE_IP): rtc-node ignores
// loopback. The latency comparison allows for a busy 2-core machine: the others' p99 with the
// stalled receiver must stay below max(3 x the p99 without it, that p99 + 200 ms).

import assert from 'node:assert/strict';

import { delay, freeTcpPort, useServer, withServer } from './helpers.mjs';
import { awaitPeers, startAgent } from './agent.mjs';
import { b64, inRoom, isData, warmUp } from './rtc-node-room.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const LIMIT = { max_data_queue_messages: 16, max_data_queue_bytes: 262144 };
const metricsPort = await freeTcpPort();
const config = (port, limit) => ({
  ...(nodeIp ? { rtc: { node_ip: nodeIp } } : {}),
  prometheus: { port },
  limit,
});
const { test } = useServer({ label: 'slow-receiver', config: config(metricsPort, LIMIT) });

// 200 rounds at 25 per second: 8 s of one 16 KiB reliable and one 2 KiB lossy message per round,
// 0.45 MB/s to each receiver. The stalled receiver's SCTP send buffer (2 MiB) and queue
// (256 KiB) are full about 5 s in.
const STREAM = { rounds: 200, rate: 25, size: 16384, lossySize: 2048 };
const REASON_CONNECTION_TIMEOUT = 14;

/** The counters of the Prometheus endpoint on `port` that this file looks at. */
async function counters(port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  const text = await res.text();
  const get = (sample) => {
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    assert.ok(line, `metric ${sample} present`);
    return Number(line.slice(sample.length + 1));
  };
  return {
    queueFull: get('dcsfu_data_dropped_total{reason="queue_full"}'),
    lossyBackpressure: get('dcsfu_data_dropped_total{reason="lossy_backpressure"}'),
    removed: get('dcsfu_data_slow_receivers_removed_total'),
    queued: get('dcsfu_data_queued'),
  };
}

function delta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

/** What agent `rx` got on `topic` (see the agent's `latency` command). */
async function latency(rx, topic) {
  rx.send({ cmd: 'latency', topic });
  return rx.next((e) => e.event === 'latency' && e.topic === topic, 5000, `latency of ${topic}`);
}

const fmt = (s) => `${s.count} msgs, p50 ${s.p50?.toFixed(1)} ms, p99 ${s.p99?.toFixed(1)} ms, max ${s.max?.toFixed(1)} ms`;

/** A streams `lat-<tag>`; returns the reliable and lossy figures of each agent in `observers`. */
async function streamTo(A, observers, tag, rounds = STREAM.rounds) {
  const sent = await A.do({ cmd: 'stream', ...STREAM, rounds, topic: `lat-${tag}` }, 60000);
  assert.equal(sent.errors, 0, `${tag}: publish errors`);
  const out = {};
  for (const o of observers) {
    await o.next((e) => e.event === 'latEnd' && e.topic === `lat-${tag}-r`, 30000, `the last reliable message of ${tag}`);
    out[o.identity] = { r: await latency(o, `lat-${tag}-r`), l: await latency(o, `lat-${tag}-l`), sentMs: sent.ms };
  }
  return out;
}

/** Every reliable message of the stream, in order, nothing twice. */
function assertComplete(s, what) {
  assert.equal(s.count, STREAM.rounds, `${what}: every reliable message arrived`);
  assert.equal(s.backwards, 0, `${what}: nothing out of order or twice`);
  assert.equal(s.gaps, 0, `${what}: no gaps`);
}

// ---------------------------------------------------------------------------------------------

test('1. a stalled receiver does not slow the others; it is told to reconnect and rejoins', { timeout: 180000 }, async (srv, t) => {
  await inRoom(srv, ['A', 'C', 'D'], async ([A, C, D], room) => {
    await warmUp(A, [C, D]);
    await streamTo(A, [C, D], 'warm', 50); // SCTP windows open, code paths warm
    const base = await streamTo(A, [C, D], 'base');
    for (const id of ['C', 'D']) assertComplete(base[id].r, `without B, ${id}`);
    const B = await startAgent(srv, { identity: 'B', room });
    try {
      await awaitPeers(B, ['A', 'C', 'D']);
      await warmUp(A, [B]);
      await stalledB(srv, t, { A, B, C, D }, base);
    } catch (err) {
      if (err && typeof err === 'object') err.message += `\n${B.describe()}`;
      throw err;
    } finally {
      await B.stop();
    }
  });
});

/** B stops reading while A streams; C and D are timed against `base`. */
async function stalledB(srv, t, { A, B, C, D }, base) {
  const before = await counters(metricsPort);
  const t0 = Date.now();
  B.kill('SIGSTOP');
  let stall;
  let left;
  try {
    stall = await streamTo(A, [C, D], 'stall');
    left = await C.next((e) => e.event === 'participantDisconnected' && e.identity === 'B', 10000, 'B removed');
  } finally {
    B.kill('SIGCONT');
  }
  const d = delta(before, await counters(metricsPort));
  t.diagnostic(`stalled B removed after ${left.t - t0} ms (reason ${left.reason}); counters: ${JSON.stringify(d)}`);

  // the others: everything, in order, and not slower beyond a generous bound
  for (const id of ['C', 'D']) {
    assertComplete(stall[id].r, `with B stalled, ${id}`);
    const b = base[id].r;
    const s = stall[id].r;
    t.diagnostic(`${id} reliable without B: ${fmt(b)}; with B stalled: ${fmt(s)} (streams sent in ${base[id].sentMs.toFixed(0)} and ${stall[id].sentMs.toFixed(0)} ms)`);
    t.diagnostic(`${id} lossy without B: ${fmt(base[id].l)}; with B stalled: ${fmt(stall[id].l)}`);
    const bound = Math.max(3 * b.p99, b.p99 + 200);
    assert.ok(s.p99 < bound, `${id}: p99 with B stalled ${s.p99.toFixed(1)} ms, bound ${bound.toFixed(1)} ms`);
  }

  // B: lossy dropped first and counted, then the queue bound, then the policy, logged
  assert.equal(left.reason, REASON_CONNECTION_TIMEOUT, 'the others see CONNECTION_TIMEOUT');
  assert.ok(d.lossyBackpressure > 0, 'lossy data for B dropped and counted');
  assert.ok(d.queueFull > 0, 'reliable data for B beyond the bound counted');
  assert.equal(d.removed, 1, 'B removed once');
  assert.match(srv.stderr, /msg="receiver too slow, reliable queue full: told to reconnect" room=\S+ identity=B /);

  // B runs again: it rejoins, and what it got of the stalled stream is a prefix, in order
  await B.next('reconnected', 30000, 'B rejoins');
  await C.next((e) => e.event === 'participantConnected' && e.identity === 'B', 10000, 'B back for C');
  const got = await latency(B, 'lat-stall-r');
  t.diagnostic(`B got ${got.count} of ${STREAM.rounds} reliable messages of the stalled stream before it was removed`);
  assert.ok(got.count < STREAM.rounds, 'B did not get the whole stream');
  assert.equal(got.backwards, 0, 'B: in order');
  assert.equal(got.gaps, 0, 'B: a prefix, no gaps');
  if (got.count > 0) assert.equal(got.first, 0, 'B: from the first message');
  await A.do({ cmd: 'publish', data: b64('after the stall'), topic: 'after-stall' });
  await B.next(isData('after-stall'), 10000, 'data after the rejoin');
}

test('2. data_queue_full_action drop: the stalled receiver stays and gets the oldest in order', { timeout: 180000 }, async (_srv, t) => {
  const port = await freeTcpPort();
  await withServer({ label: 'slow-receiver-drop', config: config(port, { ...LIMIT, data_queue_full_action: 'drop' }) }, async (srv) => {
    await inRoom(srv, ['A', 'B', 'C'], async ([A, B, C]) => {
      await warmUp(A, [B, C]);
      const before = await counters(port);
      B.kill('SIGSTOP');
      let stall;
      try {
        stall = await streamTo(A, [C], 'drop');
      } finally {
        B.kill('SIGCONT');
      }
      assertComplete(stall.C.r, 'with B stalled, C');
      t.diagnostic(`C with B stalled: reliable ${fmt(stall.C.r)}; lossy ${fmt(stall.C.l)}`);
      // B drains its queue; a message sent before that would be dropped too (newest first)
      const deadline = Date.now() + 30000;
      while ((await counters(port)).queued > 0) {
        assert.ok(Date.now() < deadline, 'B\'s queue drains once it runs again');
        await delay(100);
      }
      // reliable data keeps its order: once the marker arrives, everything before it has
      await A.do({ cmd: 'publish', data: b64('after the stall'), topic: 'after-drop' });
      await B.next(isData('after-drop'), 30000, 'B catches up');
      const d = delta(before, await counters(port));
      const got = await latency(B, 'lat-drop-r');
      t.diagnostic(`B got ${got.count} of ${STREAM.rounds} reliable messages; counters: ${JSON.stringify(d)}`);
      assert.equal(d.removed, 0, 'nobody removed');
      assert.ok(d.lossyBackpressure > 0, 'lossy data for B dropped and counted');
      assert.ok(d.queueFull > 0, 'reliable data for B dropped beyond the bound');
      // the newest were dropped: B has the stream's first messages, in order, without gaps (the
      // stream ended before B ran again), and lost exactly what was counted
      assert.equal(got.backwards, 0, 'B: in order');
      assert.equal(got.gaps, 0, 'B: no gaps');
      assert.equal(got.first, 0, 'B: from the first message');
      assert.equal(got.count + d.queueFull, STREAM.rounds, 'B lost exactly the messages counted as queue_full');
      const full = srv.stderr.match(/msg="reliable queue full, newest messages dropped" room=\S+ identity=B /g) ?? [];
      const drained = [...srv.stderr.matchAll(/msg="reliable queue drained" sid=\S+ dropped=(\d+)/g)].map((m) => Number(m[1]));
      assert.ok(full.length >= 1, 'the episode is logged');
      assert.equal(drained.reduce((a, b) => a + b, 0), d.queueFull, 'the drained lines add up to the counter');
      await C.none((e) => e.event === 'participantDisconnected' && e.identity === 'B', 100, 'B leaving');
    });
  });
});
