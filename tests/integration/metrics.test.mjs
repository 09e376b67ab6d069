// The Prometheus endpoint (prometheus.port): GET /metrics answers the text exposition format
// 0.0.4, checked line by line with a strict parser, and the counters move when two rtc-node
// agents exchange reliable and lossy data. Needs the network namespace of
// scripts/test-integration.sh (DCSFU_NODE_IP) for the data part.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { freeTcpPort, randomRoom, useServer } from './helpers.mjs';
import { awaitPeers, withAgents } from './agent.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const metricsPort = await freeTcpPort();
const config = { prometheus: { port: metricsPort } };
if (nodeIp) config.rtc = { node_ip: nodeIp };
const { test } = useServer({ label: 'metrics', config });

const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
const b64 = (s) => Buffer.from(s).toString('base64');

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s, where) {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `${where}: value ${JSON.stringify(s)} is a number`);
  return Number(s);
}

/** name{labels} value: the label block with escapes \\ \" \n only. */
function parseSample(line, where) {
  const m = /^([^{\s]+)(.*)$/.exec(line);
  const name = m[1];
  assert.match(name, NAME, `${where}: metric name ${JSON.stringify(name)}`);
  let rest = m[2];
  const labels = {};
  if (rest.startsWith('{')) {
    let i = 1;
    while (rest[i] !== '}') {
      const eq = rest.indexOf('=', i);
      assert.ok(eq > i, `${where}: label name`);
      const lname = rest.slice(i, eq);
      assert.match(lname, LABEL, `${where}: label name ${JSON.stringify(lname)}`);
      assert.equal(rest[eq + 1], '"', `${where}: quoted label value`);
      let j = eq + 2;
      let v = '';
      for (;;) {
        assert.ok(j < rest.length, `${where}: unterminated label value`);
        const c = rest[j];
        if (c === '"') break;
        assert.notEqual(c, '\n', `${where}: raw newline in a label value`);
        if (c === '\\') {
          const e = rest[j + 1];
          assert.ok(e === '\\' || e === '"' || e === 'n', `${where}: escape \\${e}`);
          v += e === 'n' ? '\n' : e;
          j += 2;
        } else {
          v += c;
          j += 1;
        }
      }
      assert.ok(!(lname in labels), `${where}: label ${lname} repeated`);
      labels[lname] = v;
      i = j + 1;
      if (rest[i] === ',') i += 1;
      else assert.equal(rest[i], '}', `${where}: ',' or '}' after a label`);
    }
    rest = rest.slice(i + 1);
  }
  const parts = rest.split(' ');
  assert.equal(parts[0], '', `${where}: one space before the value`);
  assert.ok(parts.length === 2 || parts.length === 3, `${where}: value [timestamp]`);
  const value = parseValue(parts[1], where);
  if (parts.length === 3) assert.match(parts[2], /^-?\d+$/, `${where}: timestamp`);
  return { name, labels, value };
}

/** Strict parse of the text format: { families: Map(name -> {type, help, samples}) }. */
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  const families = new Map();
  const lines = text.slice(0, -1).split('\n');
  const familyOf = (name) => {
    if (families.has(name)) return families.get(name);
    for (const suf of ['_bucket', '_sum', '_count']) {
      if (name.endsWith(suf)) {
        const f = families.get(name.slice(0, -suf.length));
        if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
      }
    }
    return null;
  };
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1} ${JSON.stringify(line)}`;
    assert.notEqual(line, '', `${where}: no empty lines`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a comment
      const [, kw, name, rest] = m;
      assert.match(name, NAME, `${where}: metric name`);
      const f = families.get(name) ?? { type: null, help: null, samples: [] };
      families.set(name, f);
      if (kw === 'TYPE') {
        assert.equal(f.type, null, `${where}: one TYPE per metric`);
        assert.equal(f.samples.length, 0, `${where}: TYPE before the samples`);
        assert.ok(TYPES.has(rest), `${where}: type ${rest}`);
        f.type = rest;
      } else {
        assert.equal(f.help, null, `${where}: one HELP per metric`);
        assert.doesNotMatch(rest.replace(/\\[\\n]/g, ''), /\\/, `${where}: HELP escapes`);
        f.help = rest;
      }
      return;
    }
    const s = parseSample(line, where);
    const f = familyOf(s.name);
    assert.ok(f && f.type, `${where}: TYPE of ${s.name} comes before its samples`);
    f.samples.push(s);
  });
  for (const [name, f] of families) {
    if (f.type === 'histogram') checkHistogram(name, f);
    if (f.type === 'counter') for (const s of f.samples) assert.ok(s.value >= 0, `${name}: counters are not negative`);
  }
  return families;
}

function checkHistogram(name, f) {
  const series = new Map();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    const e = series.get(key) ?? { buckets: [], sum: null, count: null };
    series.set(key, e);
    if (s.name === `${name}_bucket`) {
      assert.ok(le !== undefined, `${name}: buckets carry le`);
      e.buckets.push([parseValue(le, name), s.value]);
    } else if (s.name === `${name}_sum`) e.sum = s.value;
    else if (s.name === `${name}_count`) e.count = s.value;
  }
  for (const [key, e] of series) {
    assert.ok(e.buckets.length > 0 && e.sum !== null && e.count !== null, `${name}${key}: buckets, _sum, _count`);
    const last = e.buckets[e.buckets.length - 1];
    assert.equal(last[0], Infinity, `${name}${key}: the last bucket is +Inf`);
    assert.equal(last[1], e.count, `${name}${key}: +Inf bucket equals _count`);
    for (let i = 1; i < e.buckets.length; i++) {
      assert.ok(e.buckets[i][0] > e.buckets[i - 1][0], `${name}${key}: le increases`);
      assert.ok(e.buckets[i][1] >= e.buckets[i - 1][1], `${name}${key}: buckets are cumulative`);
    }
  }
}

async function scrape() {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** The value of name{labels} (labels must match exactly); undefined when absent. */
function value(fams, name, labels = {}) {
  const base = fams.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
  const f = fams.get(base);
  if (!f) return undefined;
  const want = JSON.stringify(Object.entries(labels).sort());
  const s = f.samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
  return s?.value;
}

test('1. the endpoint answers strict text format; other paths are 404', async (srv) => {
  const fams = await scrape();
  const want = {
    livekit_room_total: 'gauge',
    livekit_participant_total: 'gauge',
    livekit_participant_join_total: 'counter',
    livekit_packet_total: 'counter',
    livekit_packet_bytes: 'counter',
    dcsfu_data_packets_in_total: 'counter',
    dcsfu_data_packets_out_total: 'counter',
    dcsfu_data_bytes_in_total: 'counter',
    dcsfu_data_bytes_out_total: 'counter',
    dcsfu_data_dropped_total: 'counter',
    dcsfu_data_queued: 'gauge',
    dcsfu_data_queued_total: 'counter',
    dcsfu_data_fanout_seconds: 'histogram',
    dcsfu_join_refused_total: 'counter',
    dcsfu_peer_failures_total: 'counter',
    dcsfu_udp_unknown_source_dropped_total: 'counter',
    dcsfu_sctp_messages_total: 'counter',
  };
  for (const [name, type] of Object.entries(want)) {
    assert.equal(fams.get(name)?.type, type, `${name} is a ${type}`);
  }
  for (const reason of ['too_large', 'no_permission', 'lossy_backpressure', 'malformed', 'duplicate', 'not_open', 'queue_full', 'metrics']) {
    assert.equal(value(fams, 'dcsfu_data_dropped_total', { reason }), 0, `drop reason ${reason}`);
  }
  const nf = await fetch(`http://127.0.0.1:${metricsPort}/`, { signal: AbortSignal.timeout(5000) });
  assert.equal(nf.status, 404);
  await nf.arrayBuffer();
  const post = await fetch(metricsUrl, { method: 'POST', signal: AbortSignal.timeout(5000) });
  assert.equal(post.status, 405);
  await post.arrayBuffer();
  // the signaling port does not serve metrics
  const sig = await fetch(`${srv.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(sig.status, 404);
  await sig.arrayBuffer();
});

test('2. data counters move per kind; rooms and participants match', { timeout: 90000 }, async (srv) => {
  assert.ok(process.env.DCSFU_IN_NETNS === '1' && nodeIp,
    'run this through scripts/test-integration.sh (private network namespace, DCSFU_NODE_IP)');
  const before = await scrape();
  const get = (fams, name, kind) => value(fams, name, { kind });
  const room = randomRoom('metrics');
  await withAgents(srv, [{ identity: 'A', room }, { identity: 'B', room }], async ([A, B]) => {
    await awaitPeers(A, ['B']);
    await awaitPeers(B, ['A']);
    const topic = `r-${crypto.randomBytes(3).toString('hex')}`;
    await A.do({ cmd: 'publish', data: b64('warm-up'), topic: 'warmup', reliable: true });
    await B.next((e) => e.event === 'data' && e.topic === 'warmup', 10000, 'warm-up');
    for (let i = 0; i < 5; i++) await A.do({ cmd: 'publish', data: b64(`reliable-${i}`), topic, reliable: true });
    for (let i = 0; i < 5; i++) await B.next((e) => e.event === 'data' && e.topic === topic, 5000, `reliable ${i}`);
    const ltopic = `l-${crypto.randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 5; i++) await B.do({ cmd: 'publish', data: b64(`lossy-${i}`), topic: ltopic, reliable: false });
    await A.next((e) => e.event === 'data' && e.topic === ltopic, 5000, 'a lossy message');

    const after = await scrape();
    const grew = (name, kind) => get(after, name, kind) - get(before, name, kind);
    assert.ok(grew('dcsfu_data_packets_in_total', 'reliable') >= 6, 'reliable packets in');
    assert.ok(grew('dcsfu_data_packets_out_total', 'reliable') >= 6, 'reliable packets out');
    assert.ok(grew('dcsfu_data_packets_in_total', 'lossy') >= 1, 'lossy packets in');
    assert.ok(grew('dcsfu_data_packets_out_total', 'lossy') >= 1, 'lossy packets out');
    assert.ok(grew('dcsfu_data_bytes_in_total', 'reliable') >= 6 * 10, 'reliable bytes in');
    assert.ok(grew('dcsfu_data_bytes_out_total', 'reliable') >= 6 * 10, 'reliable bytes out');
    assert.ok(grew('dcsfu_data_bytes_in_total', 'lossy') >= 7, 'lossy bytes in');
    assert.ok(grew('dcsfu_data_bytes_out_total', 'lossy') >= 7, 'lossy bytes out');
    const inTotal = value(after, 'livekit_packet_total', { direction: 'incoming', transmission: 'initial' });
    assert.equal(inTotal, get(after, 'dcsfu_data_packets_in_total', 'reliable') + get(after, 'dcsfu_data_packets_in_total', 'lossy'));
    assert.equal(value(after, 'livekit_room_total'), 1, 'one room');
    assert.equal(value(after, 'livekit_participant_total'), 2, 'two participants');
    assert.equal(value(after, 'dcsfu_peer_connections'), 2, 'two peer connections');
    assert.ok(value(after, 'livekit_participant_join_total', { state: 'signal_connected' }) >= 2);
    assert.ok(value(after, 'livekit_participant_join_total', { state: 'rtc_connected' }) >= 2);
    const fanout = (fams) => value(fams, 'dcsfu_data_fanout_seconds_count');
    assert.ok(fanout(after) - fanout(before) >= 7, 'fan-out latency observed per packet');
    assert.ok(value(after, 'dcsfu_data_fanout_seconds_sum') > 0, 'fan-out latency sum');
    assert.ok(value(after, 'dcsfu_sctp_messages_total', { direction: 'in' }) >= 7, 'sctp messages in');
  });
});

test('3. refused joins are counted by status', async (srv) => {
  const before = await scrape();
  const res = await fetch(`${srv.httpUrl}/rtc?access_token=not-a-token`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 401);
  await res.arrayBuffer();
  const after = await scrape();
  const refused = (f) => value(f, 'dcsfu_join_refused_total', { status: '401' }) ?? 0;
  assert.equal(refused(after) - refused(before), 1, 'one 401 refusal');
  const failed = (f) => value(f, 'livekit_participant_join_total', { state: 'signal_failed' });
  assert.equal(failed(after) - failed(before), 1, 'signal_failed');
});
