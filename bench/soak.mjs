// Churn and soak: participants join and leave rooms continuously while data flows; every reliable
// message is accounted for, and the server's memory, file descriptors and gauges are watched.
//
//   bash bench/run-soak.sh [--participants 50] [--rooms 5] [--duration 600] [--stay 3-12]
//        [--pause 0-1] [--rate 2] [--lossy-rate 1] [--bytes 200] [--kill-every 60]
//        [--per-proc 10] [--warmup SECONDS] [--drain-ms 1000] [--max-drain-ms 20000]
//        [--sample-ms 2000] [--json FILE]
//
// @livekit/rtc-node ignores loopback, so run it through bench/run-soak.sh (private network
// namespace with a veth pair, DCSFU_NODE_IP). The command line starts bin/dcsfu (or $DCSFU_BIN)
// with warn-level logs, a Prometheus port and room.departure_timeout 1, runs the soak, stops
// the server (SIGTERM: it must exit 0 with no sanitizer report), prints the report and exits 1
// when a check fails. tests/integration/soak.test.mjs runs a short form through runSoak().
//
// Model. --participants slots, slot s in room s % --rooms, --per-proc slots to a worker process
// (bench/soak-worker.mjs: several rtc-node Rooms in one process). Each slot loops until
// --duration has passed: a fresh instance (identity p<N>) joins, stays a random --stay seconds
// while it sends --rate reliable and --lossy-rate lossy messages a second of --bytes bytes to
// its room, then leaves: it stops sending, sends a last reliable BYE, keeps receiving for
// --drain-ms and then until it has, from every other participant still in the room, a reliable
// message sent after it started leaving or that one's BYE (data is in order per sender, so
// everything sent before has arrived; at most --max-drain-ms), and disconnects. After a random
// --pause the slot's next instance joins. Every --kill-every seconds (never in the last 10 s)
// one worker process, round robin, gets SIGKILL: its participants vanish without leaving and a
// new process takes over its slots. At the end every slot leaves.
//
// Accounting (bench/soak-ledger.mjs): a reliable message sent while a receiver was in the room
// (from its connect resolving to its leave starting; for a killed receiver, up to 5 s before the
// kill or up to the last message it reported from that sender) must reach it exactly once and
// in order per sender. A miss has a reason only when the sender was killed within 5 s of
// sending and nothing later of it reached anyone ("sender killed before flush"); "no reason"
// means the server lost it. Messages sent after a receiver's window closed may be missed
// ("receiver leaving", "receiver killed"). Lossy messages get the same accounting, reported but
// not checked. A delivery the receiver's SDK cannot attribute to a participant is a failure
// unless the sender had already left (the server's participant update, over signaling, may
// overtake data it forwarded before, over SCTP).
//
// Server health from /proc/<pid> every --sample-ms: VmRSS and open fds. RSS after the warm-up
// (default a quarter of the duration, 15 to 120 s) is compared with RSS at the end of the churn
// (same population, still loaded) and after everyone left: neither may exceed it by more than
// max(2 MiB, 10 %). After everyone left: fds back to the count before the first join;
// livekit_room_total, livekit_participant_total, dcsfu_peer_connections and dcsfu_data_queued
// back to 0 on /metrics. The deltas of the drop and failure counters are reported.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Ledger, LOSSY, RELIABLE, latencyPct } from './soak-ledger.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(HERE, 'soak-worker.mjs');
const LOG_DIR = path.join(HERE, '..', 'build', 'bench-logs');

export const RSS_MARGIN_KIB = 2048;
export const RSS_MARGIN_PCT = 10;

const now = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive (the losing side of a race). */
const deadline = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const rand = ([lo, hi]) => lo + Math.random() * (hi - lo);

export const DEFAULTS = {
  participants: 50, rooms: 5, duration: 600, stay: [3, 12], pause: [0, 1], rate: 2, lossyRate: 1,
  bytes: 200, killEvery: 60, perProc: 10, warmup: null, drainMs: 1000, maxDrainMs: 20000, sampleMs: 2000, grace: 5000,
  settleMs: 30000, joinTimeoutMs: 45000,
};

// ---------------------------------------------------------------------------------------------
// /proc and /metrics

export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

export function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function cpuSec(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** name{labels} -> value from the text exposition format (labels sorted, as `k="v",...`). */
export async function scrape(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  const m = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const key = line.slice(0, sp);
    const b = key.indexOf('{');
    const name = b < 0 ? key : key.slice(0, b);
    const labels = b < 0 ? '' : key.slice(b + 1, -1).split(',').sort().join(',');
    m.set(labels ? `${name}{${labels}}` : name, Number(line.slice(sp + 1)));
  }
  return m;
}

/** {labelValue: after - before} for every series of `name` with one label `label`. */
function deltas(before, after, name, label) {
  const out = {};
  const re = new RegExp(`^${name}\\{${label}="([^"]*)"\\}$`);
  for (const [k, v] of after) {
    const m = re.exec(k);
    if (m) out[m[1]] = v - (before.get(k) ?? 0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// worker processes

function spawnWorker(index, gen, onEvent) {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const child = spawn(process.execPath, [WORKER], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  const w = { index, gen, child, pid: child.pid, insts: new Set(), exited: null, killedAt: null, cpu: 0, stderr: '' };
  const log = fs.createWriteStream(path.join(LOG_DIR, `soak-worker${index}.${gen}.log`));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { w.stderr = (w.stderr + d).slice(-4000); log.write(d); });
  child.stdin.on('error', () => {});
  let readyResolve;
  w.ready = new Promise((r) => { readyResolve = r; });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev;
    try { ev = JSON.parse(line); } catch { return; }
    if (ev.ev === 'ready') readyResolve(w);
    else onEvent(w, ev);
  });
  w.exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    w.exited = { code, signal, t: now() };
    log.end();
    readyResolve(w);
    resolve(w.exited);
  }));
  w.send = (cmd) => { if (!w.exited) child.stdin.write(`${JSON.stringify(cmd)}\n`); };
  return w;
}

// ---------------------------------------------------------------------------------------------
// the run

/**
 * Runs the soak against a running server. srv: a handle from tests/integration/helpers.mjs
 * startServer (proc.pid, wsUrl); metricsUrl: its /metrics; makeToken from the same helpers.
 * Returns the result object that formatReport() prints and soakProblems() checks.
 */
export async function runSoak({ srv, metricsUrl, makeToken, log = () => {}, ...given }) {
  const opt = { ...DEFAULTS, ...given };
  opt.warmup ??= Math.min(120, Math.max(15, opt.duration / 4));
  const pid = srv.proc.pid;
  const runId = crypto.randomBytes(3).toString('hex');
  const ledger = new Ledger({ grace: opt.grace });
  const insts = new Map(); // id -> {id, slot, worker, joinedP/res, doneP/res, state}
  const bad = { payload: 0, kind: 0, sender: 0, unknownSender: 0 };
  const counts = { joins: 0, joined: 0, joinFailed: 0, left: 0, killed: 0, disconnected: 0, kills: 0, crashes: 0, hung: 0 };
  const crashes = [];
  const drainTimeouts = [];
  const drains = [];
  const unknownSenders = [];
  let nextId = 1;
  let stopping = false;
  let stopResolve;
  const stopP = new Promise((r) => { stopResolve = r; });

  const settle = (p, how) => {
    if (p.state === 'done') return;
    if (p.state === 'joining') p.joinedRes(how);
    p.state = 'done';
    p.worker.insts.delete(p.id);
    p.doneRes(how);
  };

  function onEvent(w, ev) {
    if (ev.ev === 'b') {
      for (let i = 0; i < ev.s.length; i += 5) ledger.sent(ev.s[i], ev.s[i + 1], ev.s[i + 2], ev.s[i + 3], ev.s[i + 4]);
      for (const [id, kind, seq, msg] of ev.e) ledger.refused(id, kind, seq, msg);
      for (let i = 0; i < ev.r.length; i += 5) ledger.delivered(ev.r[i], ev.r[i + 1], ev.r[i + 2], ev.r[i + 3], ev.r[i + 4] / 10);
      if (ev.bad) for (const k of Object.keys(bad)) bad[k] += ev.bad[k];
      for (const [rx, tx, seq, kind, t] of ev.u ?? []) unknownSenders.push({ rx, tx, seq, kind, t });
      return;
    }
    const p = insts.get(ev.inst);
    if (!p || p.state === 'done') return;
    if (ev.ev === 'joined') {
      ledger.joined(p.id, ev.t);
      counts.joined++;
      p.state = 'live';
      p.joinedRes('joined');
    } else if (ev.ev === 'joinFailed') {
      ledger.joinFailed(p.id, ev.t, ev.error);
      counts.joinFailed++;
      settle(p, 'failed');
    } else if (ev.ev === 'leaving') {
      ledger.leaving(p.id, ev.t);
    } else if (ev.ev === 'left') {
      ledger.left(p.id, ev.t);
      if (ev.behind) drainTimeouts.push({ id: p.id, behind: ev.behind });
      drains.push(ev.drained);
      counts.left++;
      settle(p, 'left');
    } else if (ev.ev === 'disconnected') {
      ledger.ended(p.id, ev.t, 'disconnected', ev.reason);
      counts.disconnected++;
      // after a reconnect the Room is still there: the slot leaves it as usual
      if (ev.reason !== 'reconnecting') settle(p, 'disconnected');
    }
  }

  // workers: slot s sits in room s % rooms and worker floor(s / perProc)
  const nWorkers = Math.ceil(opt.participants / opt.perProc);
  const workers = [];
  const gens = new Array(nWorkers).fill(0);
  const clientCpu = { sec: 0 };
  function startWorker(i) {
    const w = spawnWorker(i, gens[i]++, onEvent);
    workers[i] = w;
    w.exit.then((x) => {
      const t = w.killedAt ?? x.t;
      if (w.killedAt === null && !w.quitting) {
        counts.crashes++;
        crashes.push(`worker ${i} exited ${x.code ?? x.signal}: ${w.stderr.slice(-1500)}`);
      }
      for (const id of [...w.insts]) {
        const p = insts.get(id);
        ledger.ended(id, t, 'killed');
        counts.killed++;
        settle(p, 'killed');
      }
      if (!stopping && workers[i] === w) startWorker(i);
    });
    return w;
  }
  function kill(w) {
    if (w.exited || w.killedAt !== null) return;
    clientCpu.sec += cpuSec(w.pid);
    w.killedAt = now();
    counts.kills++;
    w.child.kill('SIGKILL');
  }

  // fds are counted before a scrape: its connection is not among them
  const fdBaseline = fdCount(pid);
  const metrics0 = await scrape(metricsUrl);
  const rssStart = rssKiB(pid);
  const cpuServer0 = cpuSec(pid);
  const load0 = loadavg();
  for (let i = 0; i < nWorkers; i++) startWorker(i);
  await Promise.all(workers.map((w) => w.ready));

  const t0 = now();
  const tEnd = t0 + opt.duration * 1000;
  const samples = [];
  const liveCount = () => [...insts.values()].filter((p) => p.state === 'live').length;
  const sample = () => {
    try {
      samples.push({ t: (now() - t0) / 1000, rss: rssKiB(pid), fds: fdCount(pid), live: liveCount() });
    } catch { /* the server exited: reported by the caller */ }
  };
  sample();
  const sampler = setInterval(sample, opt.sampleMs);

  async function slotLoop(s) {
    const room = `soak-${runId}-r${s % opt.rooms}`;
    const wi = Math.floor(s / opt.perProc);
    await Promise.race([deadline((s * 2000) / opt.participants), stopP]);
    while (!stopping) {
      const w = await workers[wi].ready;
      if (stopping) break;
      if (w.exited) { await sleep(100); continue; }
      const p = { id: nextId++, slot: s, worker: w, state: 'joining' };
      p.joinedP = new Promise((r) => { p.joinedRes = r; });
      p.doneP = new Promise((r) => { p.doneRes = r; });
      insts.set(p.id, p);
      ledger.add(p.id, room);
      w.insts.add(p.id);
      counts.joins++;
      const token = await makeToken({ identity: `p${p.id}`, room, ttl: '2h' });
      w.send({ cmd: 'join', inst: p.id, url: srv.wsUrl, token, rate: opt.rate, lossyRate: opt.lossyRate, bytes: opt.bytes });
      const how = await Promise.race([p.joinedP, deadline(opt.joinTimeoutMs).then(() => 'timeout')]);
      if (how === 'timeout') {
        // a join that never answers: the process is wedged; its participants count as killed
        counts.hung++;
        kill(w);
        await p.doneP;
        continue;
      }
      if (how !== 'joined') { await sleep(500); continue; }
      const stay = rand(opt.stay) * 1000;
      const ended = await Promise.race([deadline(stay).then(() => false), stopP.then(() => false), p.doneP.then(() => true)]);
      if (!ended) {
        // with no reliable data there is nothing to catch up with
        const maxDrainMs = opt.rate > 0 ? opt.maxDrainMs : opt.drainMs;
        w.send({ cmd: 'leave', inst: p.id, drainMs: opt.drainMs, maxDrainMs });
        const r = await Promise.race([p.doneP, deadline(opt.maxDrainMs + 30000).then(() => 'timeout')]);
        if (r === 'timeout') { counts.hung++; kill(w); await p.doneP; }
      }
      if (!stopping) await Promise.race([deadline(rand(opt.pause) * 1000), stopP]);
    }
  }

  async function killLoop() {
    if (!(opt.killEvery > 0)) return;
    for (let k = 0; ; k++) {
      await Promise.race([deadline(opt.killEvery * 1000), stopP]);
      if (stopping || now() > tEnd - 10000) return;
      const w = workers[k % nWorkers];
      log(`kill worker ${w.index} (pid ${w.pid}, ${w.insts.size} participants) at ${((now() - t0) / 1000).toFixed(0)} s`);
      kill(w);
    }
  }

  const progress = setInterval(() => {
    const s = samples[samples.length - 1];
    log(`${((now() - t0) / 1000).toFixed(0)} s: ${liveCount()} in rooms, ${counts.joined} joined, ${counts.left} left, ${counts.killed} killed, ${counts.joinFailed} join failures; server RSS ${s?.rss} KiB, fds ${s?.fds}; load ${loadavg()}`);
  }, 30000);

  let rssWarm = null;
  const warmTimer = setTimeout(() => { sample(); rssWarm = samples[samples.length - 1]; }, opt.warmup * 1000);
  const loops = Array.from({ length: opt.participants }, (_, s) => slotLoop(s));
  const killer = killLoop();
  await sleep(Math.max(0, tEnd - now()));
  clearTimeout(warmTimer);
  sample();
  const churnEnd = samples[samples.length - 1];
  stopping = true;
  stopResolve();
  await Promise.all([...loops, killer]);
  const tStopped = now();
  clearInterval(progress);

  // workers: quit, then make sure
  for (const w of workers) { clientCpu.sec += cpuSec(w.pid); w.quitting = true; w.send({ cmd: 'quit' }); }
  await Promise.all(workers.map((w) => Promise.race([w.exit, deadline(10000).then(() => w.child.kill('SIGKILL'))])));
  await Promise.all(workers.map((w) => w.exit));

  // the server settles: gauges to 0, fds back to the baseline
  const gauges = () => ({
    rooms: metricsEnd.get('livekit_room_total'), participants: metricsEnd.get('livekit_participant_total'),
    peerConnections: metricsEnd.get('dcsfu_peer_connections'), queued: metricsEnd.get('dcsfu_data_queued'),
  });
  let metricsEnd;
  let fdEnd;
  for (const deadline = now() + opt.settleMs; ;) {
    fdEnd = fdCount(pid);
    metricsEnd = await scrape(metricsUrl);
    const g = gauges();
    if ((g.rooms === 0 && g.participants === 0 && g.peerConnections === 0 && g.queued === 0 && fdEnd <= fdBaseline) || now() > deadline) break;
    await sleep(250);
  }
  clearInterval(sampler);
  sample();
  const tSettled = now();
  const rssEnd = rssKiB(pid);
  const totals = ledger.settle();
  // where each sender rtc-node could not name was at the time (ms relative to the delivery)
  const rel = (t, x) => (x === null || !Number.isFinite(x) ? null : Math.round(x - t));
  const unknown = unknownSenders.map((u) => {
    const T = ledger.inst.get(u.tx);
    const R = ledger.inst.get(u.rx);
    // after the sender left, the server's participant update (signaling) may overtake data it
    // had forwarded earlier (SCTP): the receiver's SDK no longer knows the sender then
    const afterSenderLeft = !!T && (T.end === 'left' ? u.t >= T.strictEnd : u.t >= T.gone);
    return { ...u, afterSenderLeft, txJoined: rel(u.t, T?.joined), txEnd: T?.end, txLeaving: rel(u.t, T?.strictEnd), txGone: rel(u.t, T?.gone), rxJoined: rel(u.t, R?.joined) };
  });

  const after = samples.filter((s) => rssWarm && s.t >= rssWarm.t && s.t <= churnEnd.t);
  return {
    options: opt,
    seconds: { churn: (tStopped - t0) / 1000, settle: (tSettled - tStopped) / 1000 },
    counts,
    crashes,
    reliable: totals[RELIABLE],
    lossy: totals[LOSSY],
    bad,
    unexpectedDisconnects: ledger.unexpectedDisconnects,
    drainTimeouts,
    unknownSenders: unknown,
    drainMs: { p50: pctOf(drains, 0.5), p99: pctOf(drains, 0.99), max: pctOf(drains, 1) },
    joinFailures: ledger.joinFailures.slice(0, 10),
    missingSamples: ledger.missingSamples,
    server: {
      rss: {
        start: rssStart, warm: rssWarm?.rss ?? null, warmAt: rssWarm?.t ?? null,
        peak: Math.max(...samples.map((s) => s.rss)), churnEnd: churnEnd.rss, end: rssEnd,
        slopeKiBPerMin: slope(after.map((s) => [s.t / 60, s.rss])),
      },
      fds: { baseline: fdBaseline, peak: Math.max(...samples.map((s) => s.fds)), end: fdEnd },
      gauges: gauges(),
      dropped: deltas(metrics0, metricsEnd, 'dcsfu_data_dropped_total', 'reason'),
      peerFailures: deltas(metrics0, metricsEnd, 'dcsfu_peer_failures_total', 'reason'),
      sctpDropped: deltas(metrics0, metricsEnd, 'dcsfu_sctp_dropped_total', 'reason'),
      joinRefused: deltas(metrics0, metricsEnd, 'dcsfu_join_refused_total', 'status'),
      joinTotal: deltas(metrics0, metricsEnd, 'livekit_participant_join_total', 'state'),
      queuedTotal: (metricsEnd.get('dcsfu_data_queued_total') ?? 0) - (metrics0.get('dcsfu_data_queued_total') ?? 0),
      udpSendDropped: (metricsEnd.get('dcsfu_udp_send_dropped_total') ?? 0) - (metrics0.get('dcsfu_udp_send_dropped_total') ?? 0),
      cpuSec: cpuSec(pid) - cpuServer0,
      samples,
    },
    clients: { cpuSec: clientCpu.sec, workers: nWorkers },
    load: { start: load0, end: loadavg() },
  };
}

function pctOf(values, p) {
  if (!values.length) return NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * p))];
}

/** Least-squares slope of [x, y] points (NaN with fewer than 2). */
function slope(pts) {
  if (pts.length < 2) return NaN;
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) { num += (x - mx) * (y - my); den += (x - mx) ** 2; }
  return den ? num / den : NaN;
}

export function rssLimit(warm) {
  return warm + Math.max(RSS_MARGIN_KIB, Math.round((warm * RSS_MARGIN_PCT) / 100));
}

/** The checks of a run; [] when it passed. checkRss: false under AddressSanitizer (its quarantine holds freed memory). */
export function soakProblems(r, { checkRss = true } = {}) {
  const p = [];
  const rel = r.reliable;
  if (!(rel.expected > 0)) p.push('no reliable message was expected anywhere: the run did not work');
  if (rel.missing['no reason']) p.push(`${rel.missing['no reason']} reliable deliveries missing with no reason`);
  if (rel.duplicates) p.push(`${rel.duplicates} duplicate reliable deliveries`);
  if (rel.outOfOrder) p.push(`${rel.outOfOrder} reliable deliveries out of order`);
  if (r.lossy.duplicates) p.push(`${r.lossy.duplicates} duplicate lossy deliveries`);
  for (const k of ['payload', 'kind', 'sender']) if (r.bad[k]) p.push(`${r.bad[k]} deliveries with a wrong ${k}`);
  const unnamed = r.unknownSenders.filter((u) => !u.afterSenderLeft);
  if (unnamed.length) p.push(`${unnamed.length} deliveries from a sender still in the room that the receiver's SDK did not know: ${JSON.stringify(unnamed.slice(0, 3))}`);
  if (r.unexpectedDisconnects.length) p.push(`${r.unexpectedDisconnects.length} participants disconnected without asking: ${JSON.stringify(r.unexpectedDisconnects.slice(0, 5))}`);
  if (r.drainTimeouts.length) p.push(`${r.drainTimeouts.length} leaving participants still behind a sender after ${r.options.maxDrainMs} ms: ${JSON.stringify(r.drainTimeouts.slice(0, 5))}`);
  if (r.counts.crashes) p.push(`${r.counts.crashes} client processes crashed: ${r.crashes[0]}`);
  const s = r.server;
  if (checkRss) {
    if (s.rss.warm === null) p.push('no RSS sample after the warm-up');
    else {
      const lim = rssLimit(s.rss.warm);
      if (s.rss.churnEnd > lim) p.push(`server RSS at the end of the churn ${s.rss.churnEnd} KiB > ${lim} KiB (after the warm-up ${s.rss.warm} KiB + margin)`);
      if (s.rss.end > lim) p.push(`server RSS after everyone left ${s.rss.end} KiB > ${lim} KiB (after the warm-up ${s.rss.warm} KiB + margin)`);
    }
  }
  if (s.fds.end > s.fds.baseline) p.push(`server fds ${s.fds.end} after everyone left, ${s.fds.baseline} before the first join`);
  for (const [k, v] of Object.entries(s.gauges)) if (v !== 0) p.push(`gauge ${k} is ${v} after everyone left`);
  return p;
}

const fmtReasons = (o) => {
  const e = Object.entries(o).filter(([, v]) => v);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
};

export function formatReport(r) {
  const o = r.options;
  const L = [];
  L.push(`churn and soak: ${o.participants} participants over ${o.rooms} rooms for ${o.duration} s; stay ${o.stay.join('-')} s, pause ${o.pause.join('-')} s, drain ${o.drainMs} ms; ${o.rate} reliable + ${o.lossyRate} lossy msg/s of ${o.bytes} B per participant; SIGKILL of a client process every ${o.killEvery || '-'} s; ${r.clients.workers} client processes (${o.perProc} participants each)`);
  const c = r.counts;
  L.push(`  joins ${c.joins}: joined ${c.joined}, failed ${c.joinFailed}${r.joinFailures.length ? ` (${r.joinFailures[0].error})` : ''}; left ${c.left}, killed ${c.killed} (${c.kills} process kills${c.hung ? `, ${c.hung} for a hung join or leave` : ''}), disconnected without asking ${c.disconnected}; drain ms p50 ${r.drainMs.p50} p99 ${r.drainMs.p99} max ${r.drainMs.max}, over ${o.maxDrainMs} ms ${r.drainTimeouts.length}; client crashes ${c.crashes}`);
  for (const [name, t] of [['reliable', r.reliable], ['lossy', r.lossy]]) {
    L.push(`  ${name}: sent ${t.sent}, refused by the SDK ${Object.values(t.refused).reduce((a, b) => a + b, 0)}${Object.keys(t.refused).length ? ` (${fmtReasons(t.refused)})` : ''}`);
    const miss = t.expected - t.delivered;
    L.push(`    expected deliveries ${t.expected}, delivered ${t.delivered} (${t.expected ? ((100 * t.delivered) / t.expected).toFixed(3) : '-'} %), missing ${miss}: ${fmtReasons(t.missing)}`);
    L.push(`    sent after the receiver's window closed ${t.tailTotal}: delivered ${t.tailDelivered}, not delivered: ${fmtReasons(t.tailMissing)}; other deliveries ${t.extra}`);
    L.push(`    duplicates ${t.duplicates}, out of order ${t.outOfOrder}; latency ms p50 ${latencyPct(t.latency, 0.5)} p99 ${latencyPct(t.latency, 0.99)} max ${t.latency.max.toFixed(1)}`);
  }
  if (Object.values(r.bad).some(Boolean)) L.push(`  deliveries with a wrong payload, kind or sender, or no sender identity: ${fmtReasons(r.bad)} (no sender identity after the sender left: ${r.unknownSenders.filter((u) => u.afterSenderLeft).length})`);
  for (const u of r.unknownSenders.slice(0, 5)) L.push(`  no sender identity (times in ms relative to the delivery): ${JSON.stringify(u)}`);
  const s = r.server;
  L.push(`  server RSS KiB: start ${s.rss.start}, after the ${o.warmup} s warm-up ${s.rss.warm}, peak ${s.rss.peak}, end of churn ${s.rss.churnEnd}, after everyone left ${s.rss.end} (limit ${s.rss.warm === null ? '-' : rssLimit(s.rss.warm)}); slope after the warm-up ${Number.isFinite(s.rss.slopeKiBPerMin) ? s.rss.slopeKiBPerMin.toFixed(1) : '-'} KiB/min`);
  const marks = [];
  const step = Math.max(1, Math.round(o.duration / 10));
  for (let m = 0; m <= o.duration; m += step) {
    const x = s.samples.find((y) => y.t >= m);
    if (x) marks.push(`${m} s ${x.rss}/${x.fds}/${x.live}`);
  }
  L.push(`  server RSS KiB/fds/participants in rooms over time: ${marks.join(', ')}`);
  L.push(`  server fds: before the first join ${s.fds.baseline}, peak ${s.fds.peak}, after everyone left ${s.fds.end}`);
  L.push(`  gauges after everyone left: rooms ${s.gauges.rooms}, participants ${s.gauges.participants}, peer connections ${s.gauges.peerConnections}, queued ${s.gauges.queued} (settled in ${r.seconds.settle.toFixed(1)} s)`);
  L.push(`  server counters: data dropped ${fmtReasons(s.dropped)}; reliable queued ${s.queuedTotal}; peer failures ${fmtReasons(s.peerFailures)}; sctp dropped ${fmtReasons(s.sctpDropped)}; joins ${fmtReasons(s.joinTotal)}; joins refused ${fmtReasons(s.joinRefused)}; UDP send dropped ${s.udpSendDropped}`);
  L.push(`  CPU: server ${s.cpuSec.toFixed(1)} s, clients ${r.clients.cpuSec.toFixed(1)} s over ${r.seconds.churn.toFixed(0)} s; load average ${r.load.start} at start, ${r.load.end} at end`);
  for (const m of r.missingSamples.slice(0, 5)) L.push(`  missing: ${JSON.stringify(m)}`);
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------
// command line

function parseArgs(argv) {
  const o = {};
  const range = (v) => { const [a, b] = v.split('-').map(Number); return [a, b ?? a]; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--participants') o.participants = Number(val());
    else if (a === '--rooms') o.rooms = Number(val());
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--stay') o.stay = range(val());
    else if (a === '--pause') o.pause = range(val());
    else if (a === '--rate') o.rate = Number(val());
    else if (a === '--lossy-rate') o.lossyRate = Number(val());
    else if (a === '--bytes') o.bytes = Number(val());
    else if (a === '--kill-every') o.killEvery = Number(val());
    else if (a === '--per-proc') o.perProc = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--drain-ms') o.drainMs = Number(val());
    else if (a === '--max-drain-ms') o.maxDrainMs = Number(val());
    else if (a === '--sample-ms') o.sampleMs = Number(val());
    else if (a === '--json') o.json = val();
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

async function main() {
  const { json, ...opt } = parseArgs(process.argv.slice(2));
  const helpers = await import('../tests/integration/helpers.mjs');
  const nodeIp = process.env.DCSFU_NODE_IP;
  if (!nodeIp) console.log('warning: DCSFU_NODE_IP is not set; rtc-node needs a non-loopback address (use bench/run-soak.sh)');
  const metricsPort = await helpers.freeTcpPort();
  const srv = await helpers.startServer({
    label: 'soak',
    config: {
      logging: { level: 'warn' },
      prometheus: { port: metricsPort },
      room: { departure_timeout: 1 },
      ...(nodeIp ? { rtc: { node_ip: nodeIp } } : {}),
    },
  });
  const asan = fs.readFileSync(`/proc/${srv.proc.pid}/maps`, 'utf8').includes('libasan');
  let r;
  let stopped;
  try {
    r = await runSoak({
      srv, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, makeToken: helpers.makeToken,
      log: (m) => console.log(m), ...opt,
    });
  } finally {
    stopped = await srv.stop();
  }
  console.log(`$ bash bench/run-soak.sh ${process.argv.slice(2).join(' ')}`);
  console.log(`${new Date().toISOString()}, ${path.basename(srv.bin)}${asan ? ' (AddressSanitizer: RSS not checked)' : ''}`);
  console.log(formatReport(r));
  const problems = soakProblems(r, { checkRss: !asan });
  const exitOk = stopped.wasRunning && !stopped.timedOut && stopped.code === 0
    && !helpers.SANITIZER_MARKERS.some((m) => srv.stderr.includes(m));
  console.log(`  server exit: code ${stopped.code} signal ${stopped.signal}${stopped.timedOut ? ' (did not exit within 5 s of SIGTERM)' : ''}; sanitizer report: ${helpers.SANITIZER_MARKERS.filter((m) => srv.stderr.includes(m)).join(', ') || 'none'}`);
  if (!exitOk) problems.push('the server did not exit cleanly (see build/integration-logs/)');
  if (json) fs.writeFileSync(json, JSON.stringify(r, (k, v) => (v instanceof Uint32Array ? undefined : v), 1));
  console.log(problems.length ? `FAILED:\n  ${problems.join('\n  ')}` : 'passed: every check');
  process.exitCode = problems.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
