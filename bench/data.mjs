// Data fan-out benchmark: prints figures, asserts nothing.
//
//   bash bench/run-data.sh [--sizes 10,50,100] [--rate 50] [--duration 10] [--bytes 100]
//                          [--burst 1] [--sctp native|usrsctp] [--rooms-per-proc 10] [--lossy]
//                          [--perf DIR] [--callgrind DIR]
//
// @livekit/rtc-node ignores loopback, so run it through bench/run-data.sh: that makes a private
// network namespace with a veth pair and sets DCSFU_NODE_IP. For each N in --sizes it starts a
// fresh bin/dcsfu (or $DCSFU_BIN) with warn-level logs and joins N rtc-node Rooms to one room:
// the publisher p0 alone in one worker process, the N-1 receivers --rooms-per-proc to a process
// (one Node process holds many Rooms; with many Rooms per process the SDK's per-event work grows
// with the Room count, so small groups keep the clients' latency down). After every receiver
// has taken a warm-up message, p0 sends --rate messages of --bytes bytes per second for
// --duration seconds (reliable unless --lossy; with --burst K, K messages back to back at each
// of rate/K ticks per second, as a publisher with a fixed tick would) while the others count
// what arrives. Per N:
//   - server CPU per delivered message: utime+stime of the server from /proc/<pid>/stat (10 ms
//     ticks) and the sum of its threads' /proc/<pid>/task/*/schedstat (ns), read before the first
//     send and after delivery stopped, divided by the messages delivered to receivers; "net"
//     subtracts the server's idle CPU rate measured over a quiet window just before;
//   - completeness: delivered / (sent x (N-1)), and duplicates;
//   - latency p50/p99/max: p0 writes process.hrtime.bigint() (CLOCK_MONOTONIC, one clock for
//     every process on the machine) into each message and receivers subtract it on arrival;
//   - server RSS per connected idle participant: (RSS with N connected - RSS before any join) / N;
//   - the clients' CPU over the same window and the load average: the clients share the 2 cores
//     with the server, so their load can itself cause loss and latency.
// --perf DIR records the server with `perf record -e cpu-clock --call-graph dwarf` over the
// measured window into DIR/perf-<N>.data (sampling adds a little to the server's CPU figures).
// --callgrind DIR runs the server under valgrind --tool=callgrind, zeroes its counters when the
// measured window opens and dumps them when it closes (DIR/callgrind.out.N<N>.1); the CPU
// figures are then valgrind's, not the server's: use a low rate and a small N.
// BENCH_DEBUG=1 adds per-worker latency lines. Workers' SDK logs go to build/bench-logs/.
//
// A worker (this file with --worker) holds many Rooms and talks JSON lines on stdin/stdout.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const MAGIC = 0x4443424d; // "DCBM"
const PHASE_WARMUP = 0;
const PHASE_MEASURE = 1;

// ---------------------------------------------------------------------------------------------
// worker: many Rooms in one process

async function worker() {
  const { Room, RoomEvent } = await import('@livekit/rtc-node');
  const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // rtc-node sometimes throws from a handle's disposal when a connect fails; the other Rooms of
  // this worker are still fine, so log it and go on
  process.on('uncaughtException', (err) => process.stderr.write(`uncaught: ${err?.stack ?? err}\n`));
  const rooms = []; // {identity, room, warm, got, bitmap, lat, dup}
  let measureCount = 0;

  function onData(slot, payload) {
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (buf.length < 20 || buf.readUInt32BE(0) !== MAGIC) return;
    const now = process.hrtime.bigint();
    if (buf[4] === PHASE_WARMUP) {
      slot.warm++;
      return;
    }
    const seq = buf.readUInt32BE(8);
    const sent = buf.readBigUInt64BE(12);
    if (seq >= measureCount || !slot.bitmap) return;
    if (slot.bitmap[seq]) {
      slot.dup++;
      return;
    }
    slot.bitmap[seq] = 1;
    slot.got++;
    slot.lat.push(Number(now - sent) / 1000);
    slot.seqs.push(seq);
  }

  async function join({ url, tokens, concurrency = 8 }) {
    let next = 0;
    let retries = 0;
    const errors = [];
    async function one() {
      while (next < tokens.length) {
        const { identity, token } = tokens[next++];
        // rtc-node 1.1.0 in a busy process sometimes fails a connect with "handle not found"
        // (its ReadyForRoomEvent request): try again with a fresh Room, three times in all
        for (let attempt = 1; ; attempt++) {
          const room = new Room();
          const slot = { identity, room, warm: 0, got: 0, dup: 0, bitmap: null, lat: [], seqs: [] };
          room.on(RoomEvent.DataReceived, (payload) => onData(slot, payload));
          try {
            await room.connect(url, token, { autoSubscribe: false, dynacast: false });
            rooms.push(slot);
            break;
          } catch (err) {
            retries++;
            if (attempt === 3) {
              errors.push(`${identity}: ${err?.message ?? err}`);
              break;
            }
            await room.disconnect().catch(() => {});
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, one));
    return { ok: rooms.length, failed: errors.length, retries, errors: errors.slice(0, 5) };
  }

  function payload(size, phase, seq) {
    const buf = Buffer.alloc(Math.max(20, size));
    buf.writeUInt32BE(MAGIC, 0);
    buf[4] = phase;
    buf.writeUInt32BE(seq, 8);
    buf.writeBigUInt64BE(process.hrtime.bigint(), 12);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }

  // Sends count messages, the i-th at t0 + i/rate, or in groups of `burst` sent back to back at
  // t0 + (i - i % burst)/rate (same rate, fewer ticks); a send is not awaited before the next one
  // is due, so a slow publishData cannot lower the rate (it is awaited at the end).
  async function send({ publisher, count, rate, size, reliable, phase, burst = 1 }) {
    const slot = rooms.find((s) => s.identity === publisher);
    if (!slot) throw new Error(`publisher ${publisher} is not connected in this worker`);
    const pub = slot.room.localParticipant;
    const period = 1000 / rate;
    const t0 = performance.now();
    const pending = [];
    let errors = 0;
    let lateMs = 0;
    for (let i = 0; i < count; i++) {
      const due = t0 + (i - (i % burst)) * period;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else lateMs = Math.max(lateMs, -wait);
      pending.push(pub.publishData(payload(size, phase, i), { reliable }).catch(() => { errors++; }));
    }
    const sendMs = performance.now() - t0;
    await Promise.all(pending);
    return { sent: count - errors, errors, sendMs, maxLateMs: lateMs };
  }

  const handlers = {
    join,
    send,
    arm({ count }) {
      measureCount = count;
      for (const s of rooms) {
        s.bitmap = new Uint8Array(count);
        s.got = 0;
        s.dup = 0;
        s.lat = [];
        s.seqs = [];
      }
      return {};
    },
    // rooms other than `except` (the publisher's identity) that have seen a warm-up message
    warm({ except }) {
      return { warm: rooms.filter((s) => s.identity !== except && s.warm > 0).length };
    },
    counts() {
      let got = 0;
      let dup = 0;
      for (const s of rooms) { got += s.got; dup += s.dup; }
      return { got, dup };
    },
    report() {
      const lat = [];
      let got = 0;
      let dup = 0;
      // mean latency per tenth of the window, to tell a growing queue from steady delay
      const bySeq = Array.from({ length: 10 }, () => [0, 0]);
      for (const s of rooms) {
        got += s.got;
        dup += s.dup;
        s.lat.forEach((v, i) => {
          lat.push(Math.round(v));
          const b = bySeq[Math.min(9, Math.floor((10 * s.seqs[i]) / measureCount))];
          b[0] += v;
          b[1]++;
        });
      }
      return { got, dup, lat, bySeq: bySeq.map(([sum, n]) => (n ? Math.round(sum / n) : null)) };
    },
    async quit() {
      await Promise.race([
        Promise.all(rooms.map((s) => s.room.disconnect().catch(() => {}))),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      setTimeout(() => process.exit(0), 50);
      return {};
    },
  };

  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    let c;
    try { c = JSON.parse(line); } catch { return; }
    try {
      out({ id: c.id, ok: true, ...(await handlers[c.cmd](c)) });
    } catch (err) {
      out({ id: c.id, ok: false, error: String(err?.stack ?? err) });
    }
  });
  out({ id: 0, ok: true, ready: true });
}

// ---------------------------------------------------------------------------------------------
// orchestrator

function parseArgs(argv) {
  const o = { sizes: [10, 50, 100], rate: 50, burst: 1, duration: 10, bytes: 100, roomsPerProc: 10, reliable: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--sizes') o.sizes = val().split(',').map(Number);
    else if (a === '--rate') o.rate = Number(val());
    else if (a === '--burst') o.burst = Math.max(1, Number(val()));
    else if (a === '--sctp') o.sctp = val();
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--bytes') o.bytes = Number(val());
    else if (a === '--rooms-per-proc') o.roomsPerProc = Number(val());
    else if (a === '--lossy') o.reliable = false;
    else if (a === '--perf') o.perfDir = val();
    else if (a === '--callgrind') o.callgrindDir = val();
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const LOG_DIR = fileURLToPath(new URL('../build/bench-logs', import.meta.url));

function procStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { utime: Number(f[11]), stime: Number(f[12]) };
}

function cpuTicks(pid) {
  const { utime, stime } = procStat(pid);
  return utime + stime;
}

function schedNs(pid) {
  let ns = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
  }
  return ns;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

function machineBusy() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { total: f.reduce((a, b) => a + b, 0), idle };
}

// UDP counters of this network namespace (/proc/net/snmp): drops show up as RcvbufErrors
function udpCounters() {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
  const keys = lines[0].split(/\s+/).slice(1);
  const vals = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

// Receive-buffer drops per UDP socket of this namespace (/proc/net/udp): the server's port, others
function udpDrops(serverPort) {
  let server = 0;
  let others = 0;
  for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = parseInt(f[1].split(':')[1], 16);
    if (port === serverPort) server += Number(f[12]); else others += Number(f[12]);
  }
  return { server, others };
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// A worker's stderr (the SDK's log, RUST_LOG=warn unless set) goes to build/bench-logs/.
function spawnWorker(index, N) {
  const child = spawn(process.execPath, [SELF, '--worker'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  const w = { child, index, nextId: 1, waiting: new Map(), stderr: '', exited: null };
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = fs.createWriteStream(`${LOG_DIR}/data-N${N}-worker${index}.log`);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { w.stderr = (w.stderr + d).slice(-4000); logFile.write(d); });
  child.once('exit', () => logFile.end());
  let readyResolve;
  w.ready = new Promise((r) => { readyResolve = r; });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let m;
    try { m = JSON.parse(line); } catch { return; }
    if (m.id === 0) { readyResolve(); return; }
    const p = w.waiting.get(m.id);
    if (!p) return;
    w.waiting.delete(m.id);
    if (m.ok) p.resolve(m); else p.reject(new Error(`worker ${index}: ${m.error}`));
  });
  child.on('exit', (code, signal) => {
    w.exited = { code, signal };
    for (const p of w.waiting.values()) p.reject(new Error(`worker ${index} exited (${code ?? signal})\n${w.stderr}`));
    w.waiting.clear();
  });
  w.call = (cmd, args = {}, timeoutMs = 60000) => new Promise((resolve, reject) => {
    if (w.exited) { reject(new Error(`worker ${index} has exited\n${w.stderr}`)); return; }
    const id = w.nextId++;
    const timer = setTimeout(() => { w.waiting.delete(id); reject(new Error(`worker ${index}: ${cmd} timed out`)); }, timeoutMs);
    w.waiting.set(id, {
      resolve: (m) => { clearTimeout(timer); resolve(m); },
      reject: (e) => { clearTimeout(timer); reject(e); },
    });
    child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
  });
  return w;
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', resolve);
    child.once('error', (err) => { console.log(`${cmd}: ${err.message}`); resolve(null); });
  });
}

// perf record (cpu-clock samples with DWARF call chains) on the server for the measured window
async function startPerf(pid, file) {
  fs.mkdirSync(file.slice(0, file.lastIndexOf('/')) || '.', { recursive: true });
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '--call-graph', 'dwarf,16384', '-p', String(pid), '-o', file],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  await sleep(500);
  return {
    async stop() {
      child.kill('SIGINT');
      await Promise.race([exited, sleep(10000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

async function runOne(N, opt, helpers) {
  const { startServer, makeToken } = helpers;
  const nodeIp = process.env.DCSFU_NODE_IP;
  const realBin = helpers.serverBinary();
  if (opt.callgrindDir) {
    fs.mkdirSync(opt.callgrindDir, { recursive: true });
    const dir = fs.realpathSync(opt.callgrindDir);
    const wrapper = `${dir}/dcsfu-callgrind.sh`;
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=${dir}/callgrind.out.N${N} ${realBin} "$@"\n`, { mode: 0o755 });
    process.env.DCSFU_BIN = wrapper;
  }
  let srv;
  try {
    srv = await startServer({
      label: `bench-data-${N}`,
      readyMs: opt.callgrindDir ? 60000 : 10000,
      config: {
        logging: { level: 'warn' },
        // every client process connects from the same address
        limit: { max_connections_per_ip_per_second: 0 },
        rtc: { ...(nodeIp ? { node_ip: nodeIp } : {}), ...(opt.sctp ? { sctp: opt.sctp } : {}) },
      },
    });
  } finally {
    if (opt.callgrindDir) process.env.DCSFU_BIN = realBin;
  }
  const pid = srv.proc.pid;
  const workers = [];
  try {
    await sleep(300);
    const load0 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const rss0 = rssKiB(pid);
    const room = `bench-data-${N}`;
    const ids = Array.from({ length: N }, (_, i) => `p${i}`);
    // worker 0 holds only the publisher p0, so receivers' load cannot delay its sends
    const nProcs = 1 + Math.ceil((N - 1) / opt.roomsPerProc);
    for (let i = 0; i < nProcs; i++) workers.push(spawnWorker(i, N));
    await Promise.all(workers.map((w) => w.ready));

    // join: receiver p<i> (i >= 1) goes to worker 1 + (i - 1) % (nProcs - 1)
    const tJoin = performance.now();
    const joined = await Promise.all(workers.map(async (w, wi) => {
      const mine = ids.filter((_, i) => (i === 0 ? 0 : 1 + ((i - 1) % (nProcs - 1))) === wi);
      const tokens = await Promise.all(mine.map(async (identity) => ({ identity, token: await makeToken({ identity, room, ttl: '1h' }) })));
      return w.call('join', { url: srv.wsUrl, tokens, concurrency: 8 }, 60000 + N * 2000);
    }));
    const joinMs = performance.now() - tJoin;
    const connected = joined.reduce((a, j) => a + j.ok, 0);
    const joinErrors = joined.flatMap((j) => j.errors);
    const joinRetries = joined.reduce((a, j) => a + j.retries, 0);
    if (connected < N) {
      console.log(`N=${N}: only ${connected} of ${N} connected; first errors: ${joinErrors.join(' | ')}`);
    }
    if (connected < 2) throw new Error(`N=${N}: too few participants connected`);
    if (joinErrors.some((e) => e.startsWith('p0:'))) throw new Error(`N=${N}: the publisher p0 did not connect`);
    const receivers = connected - 1;
    const pub = workers[0];

    // warm-up: a message every 100 ms until every receiver has taken one (the data channels of
    // all peers are open), at most 60 s
    const tWarm = performance.now();
    let warm = 0;
    for (let k = 0; k < 600; k++) {
      await pub.call('send', { publisher: 'p0', count: 1, rate: 1, size: opt.bytes, reliable: true, phase: PHASE_WARMUP });
      await sleep(100);
      const r = await Promise.all(workers.map((w) => w.call('warm', { except: 'p0' })));
      warm = r.reduce((a, x) => a + x.warm, 0);
      if (process.env.BENCH_DEBUG) console.log(`warm-up ${k}: ${warm}/${receivers} at ${((performance.now() - tWarm) / 1000).toFixed(1)} s`);
      if (warm >= receivers) break;
    }
    const warmMs = performance.now() - tWarm;
    if (warm < receivers) console.log(`N=${N}: only ${warm} of ${receivers} receivers got a warm-up message`);

    // quiet window: server RSS with everyone connected and its idle CPU rate
    await sleep(1000);
    const rss1 = rssKiB(pid);
    const idleMs = 3000;
    const idle0 = { t: performance.now(), ticks: cpuTicks(pid), ns: schedNs(pid) };
    await sleep(idleMs);
    const idle1 = { t: performance.now(), ticks: cpuTicks(pid), ns: schedNs(pid) };
    const idleNsPerMs = (idle1.ns - idle0.ns) / (idle1.t - idle0.t);
    const idleTicksPerMs = (idle1.ticks - idle0.ticks) / (idle1.t - idle0.t);

    // measured window
    const count = Math.round(opt.rate * opt.duration);
    await Promise.all(workers.map((w) => w.call('arm', { count })));
    const expected = count * receivers;
    const clientPids = workers.map((w) => w.child.pid);
    const perf = opt.perfDir ? await startPerf(pid, `${opt.perfDir}/perf-${N}.data`) : null;
    if (opt.callgrindDir) await run('callgrind_control', ['-z', String(pid)]);
    const c0 = { t: performance.now(), ticks: cpuTicks(pid), ns: schedNs(pid),
      client: clientPids.reduce((a, p) => a + cpuTicks(p), 0), machine: machineBusy(), udp: udpCounters() };
    const sent = await pub.call('send', { publisher: 'p0', count, rate: opt.rate, size: opt.bytes, reliable: opt.reliable, phase: PHASE_MEASURE, burst: opt.burst }, opt.duration * 1000 + 60000);
    // drain: until all arrived, or nothing new for 5 s (at most 60 s)
    let got = 0;
    let last = -1;
    let stillSince = performance.now();
    for (const tEnd = performance.now() + 60000; performance.now() < tEnd;) {
      const r = await Promise.all(workers.map((w) => w.call('counts')));
      got = r.reduce((a, x) => a + x.got, 0);
      if (got >= sent.sent * receivers) break;
      if (got !== last) { last = got; stillSince = performance.now(); } else if (performance.now() - stillSince > 5000) break;
      await sleep(50);
    }
    const c1 = { t: performance.now(), ticks: cpuTicks(pid), ns: schedNs(pid),
      client: clientPids.reduce((a, p) => a + cpuTicks(p), 0), machine: machineBusy(), udp: udpCounters() };
    if (perf) await perf.stop();
    if (opt.callgrindDir) await run('callgrind_control', ['-d', 'window', String(pid)]);
    const reports = await Promise.all(workers.map((w) => w.call('report', {}, 60000)));
    const delivered = reports.reduce((a, x) => a + x.got, 0);
    const dups = reports.reduce((a, x) => a + x.dup, 0);
    const lat = reports.flatMap((x) => x.lat).sort((a, b) => a - b);
    if (process.env.BENCH_DEBUG) {
      for (const [i, r] of reports.entries()) {
        const l = [...r.lat].sort((a, b) => a - b);
        console.log(`  worker ${i}: got ${r.got} p50 ${(pct(l, 0.5) / 1000).toFixed(1)} ms p99 ${(pct(l, 0.99) / 1000).toFixed(1)} ms; mean ms by tenth of the window: ${r.bySeq.map((v) => (v / 1000).toFixed(0)).join(' ')}`);
      }
    }

    const winMs = c1.t - c0.t;
    const srvUsTicks = (c1.ticks - c0.ticks) * TICK_US;
    const srvUsSched = (c1.ns - c0.ns) / 1000;
    const idleUsSched = (idleNsPerMs * winMs) / 1000;
    const per = (us) => (delivered ? us / delivered : NaN);
    const clientCores = ((c1.client - c0.client) * TICK_US) / 1000 / winMs;
    const mTotal = c1.machine.total - c0.machine.total;
    const machinePct = mTotal ? (100 * (mTotal - (c1.machine.idle - c0.machine.idle))) / mTotal : NaN;

    const f1 = (x) => x.toFixed(1);
    const f2 = (x) => x.toFixed(2);
    console.log(`N=${N}: load average at start ${load0}, at end ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log(`  ${connected} connected in ${nProcs} client process(es), joined in ${(joinMs / 1000).toFixed(1)} s (${joinRetries} connect retries), warm-up ${(warmMs / 1000).toFixed(1)} s`);
    console.log(`  sent ${sent.sent}/${count} ${opt.reliable ? 'reliable' : 'lossy'} x ${opt.bytes} B at ${opt.rate}/s in ${(sent.sendMs / 1000).toFixed(2)} s (send errors ${sent.errors}, worst lateness ${f1(sent.maxLateMs)} ms)`);
    console.log(`  delivered ${delivered}/${expected} = ${f2((100 * delivered) / expected)}% complete, duplicates ${dups}`);
    console.log(`  latency ms: p50 ${f2(pct(lat, 0.5) / 1000)} p99 ${f2(pct(lat, 0.99) / 1000)} max ${f2(lat[lat.length - 1] / 1000)}`);
    console.log(`  server CPU over ${f1(winMs / 1000)} s: ${f1(srvUsTicks / 1000)} ms (stat ticks) ${f1(srvUsSched / 1000)} ms (schedstat); idle rate ${f2(idleNsPerMs / 1e6 * 100)}% of a core (stat: ${f2(idleTicksPerMs * TICK_US / 1000 * 100)}%)`);
    console.log(`  server CPU us per delivered message: ${f2(per(srvUsTicks))} (stat) ${f2(per(srvUsSched))} (schedstat), net of idle ${f2(per(srvUsSched - idleUsSched))}`);
    console.log(`  server RSS KiB: before joins ${rss0}, with ${connected} connected ${rss1}, per participant ${f1((rss1 - rss0) / connected)}`);
    console.log(`  clients: ${f2(clientCores)} cores; machine busy ${f1(machinePct)}% of ${os.cpus().length} cores`);
    const udp = (k) => c1.udp[k] - c0.udp[k];
    const drops = udpDrops(srv.udpPort);
    console.log(`  UDP in the namespace: ${udp('InDatagrams')} datagrams in, ${udp('OutDatagrams')} out, receive-buffer drops ${udp('RcvbufErrors')} (since start: server socket ${drops.server}, client sockets ${drops.others}), send-buffer drops ${udp('SndbufErrors')}`);
    return { N, connected, delivered, expected, lat, srvUsTicks, srvUsSched, rss0, rss1 };
  } finally {
    await Promise.all(workers.map((w) => w.call('quit', {}, 10000).catch(() => {})));
    await Promise.all(workers.map((w) => (w.exited ? null : Promise.race([
      new Promise((r) => w.child.once('exit', r)), sleep(3000).then(() => w.child.kill('SIGKILL')),
    ]))));
    await srv.stop();
  }
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (!process.env.DCSFU_NODE_IP) {
    console.log('warning: DCSFU_NODE_IP is not set; rtc-node needs a non-loopback address (use bench/run-data.sh)');
  }
  const helpers = await import('../tests/integration/helpers.mjs');
  console.log(`data fan-out (${opt.sctp ?? 'native'} SCTP): sizes ${opt.sizes.join(',')}, ${opt.rate} msg/s${opt.burst > 1 ? ` in bursts of ${opt.burst}` : ''} for ${opt.duration} s, ${opt.bytes} B ${opt.reliable ? 'reliable' : 'lossy'}, up to ${opt.roomsPerProc} Rooms per client process`);
  for (const N of opt.sizes) {
    try {
      await runOne(N, opt, helpers);
    } catch (err) {
      console.log(`N=${N}: failed: ${err.stack ?? err}`);
    }
  }
}

if (process.argv[2] === '--worker') {
  await worker();
} else {
  await main();
}
