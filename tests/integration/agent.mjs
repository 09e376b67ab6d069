// Drives @livekit/rtc-node Rooms in child processes (fixtures/rtc-node-agent.mjs) for the
// data-plane tests.
//
// startAgent(srv, {identity, room, grant, name, metadata, connect, token, env, url}) spawns one
// agent and, unless connect is false, waits until its Room is connected; `token` replaces the one
// made from the other fields, `env` is added to the agent's environment, `url` replaces
// srv.wsUrl. The handle:
//   events                 every JSON event the agent printed, in order
//   next(pred, ms, what)   the first event not yet taken that matches pred (a function, or an
//                          event name); rejects on timeout or as soon as the process exits
//   none(pred, ms, what)   resolves after ms if no untaken event matches pred, rejects otherwise
//   takeAll(pred)          takes every event so far that matches pred (no waiting)
//   send(cmd)              writes a command; returns its id
//   request(cmd, ms)       send() and wait for its published/publishError answer
//   do(cmd, ms)            request() that must succeed (throws on publishError)
//   kill(signal)           signals the process; stop() kills it and waits for the exit
//   describe()             identity, exit status and the tail of its output, for messages
// withAgents(srv, specs, fn) starts several (in order) and always stops them; awaitPeers(a, ids)
// waits until a knows every identity; socketsOf(pid) lists a process's TCP and UDP ports (for
// nft rules and ss -K inside the test namespace). KIND is rtc-node's DataPacketKind numbering.

import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

import { REPO_ROOT, makeToken } from './helpers.mjs';

const AGENT = path.join(REPO_ROOT, 'tests/integration/fixtures/rtc-node-agent.mjs');

/** rtc-node's FFI DataPacketKind (what DataReceived reports): not the protocol's numbering. */
export const KIND = { LOSSY: 0, RELIABLE: 1 };

/** Same deterministic payload as the agent's `publish {size, seed}`. */
export function patternBytes(size, seed = 1) {
  const b = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function eventName(e) {
  return e.event === 'data' ? `data(${e.identity},k${e.kind},${e.topic},${e.size}B)` : e.event;
}

export async function startAgent(srv, {
  identity, room, grant, name, metadata, attributes, connect = true, connectMs = 20000, token: given,
  env = {}, url,
} = {}) {
  const token = given ?? await makeToken({ identity, room, grant, name, metadata, attributes });
  const child = spawn(process.execPath, [AGENT], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, LK_URL: url ?? srv.wsUrl, LK_TOKEN: token, RUST_BACKTRACE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const a = {
    identity, room, child, pid: child.pid, events: [], taken: new Set(), waiters: [],
    out: '', err: '', exited: null, nextId: 1,
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdin.on('error', () => {}); // writes to a dead agent are reported by the waits
  let partial = '';
  child.stdout.on('data', (d) => {
    a.out = (a.out + d).slice(-200000);
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      let ev;
      try { ev = JSON.parse(l); } catch { continue; }
      const idx = a.events.push(ev) - 1;
      for (const w of [...a.waiters]) {
        if (!a.taken.has(idx) && w.pred(ev)) { a.taken.add(idx); w.resolve(ev); }
      }
    }
  });
  child.stderr.on('data', (d) => { a.err = (a.err + d).slice(-200000); });
  a.exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    a.exited = { code, signal };
    for (const w of [...a.waiters]) w.onExit();
    resolve(a.exited);
  }));

  a.summary = () => a.events.slice(-40).map(eventName).join(' ') || '(no events)';
  a.describe = () => `agent ${identity} (pid ${child.pid}) exit=${JSON.stringify(a.exited)}\n`
    + `events: ${a.summary()}\n--- stdout tail ---\n${a.out.slice(-3000)}\n--- stderr tail ---\n${a.err.slice(-3000)}`;

  a.next = (pred, ms = 5000, what) => {
    const fn = typeof pred === 'string' ? (e) => e.event === pred : pred;
    const desc = what ?? (typeof pred === 'string' ? pred : 'matching event');
    for (let i = 0; i < a.events.length; i++) {
      if (!a.taken.has(i) && fn(a.events[i])) { a.taken.add(i); return Promise.resolve(a.events[i]); }
    }
    return new Promise((resolve, reject) => {
      const w = {
        pred: fn,
        resolve: (e) => { done(); resolve(e); },
        onExit: () => { done(); reject(new Error(`${identity}: agent exited while waiting for ${desc}\n${a.describe()}`)); },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${identity}: timed out after ${ms} ms waiting for ${desc}\n${a.describe()}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        const i = a.waiters.indexOf(w);
        if (i >= 0) a.waiters.splice(i, 1);
      };
      if (a.exited) { w.onExit(); return; }
      a.waiters.push(w);
    });
  };

  a.none = async (pred, ms, what = 'unexpected event') => {
    const fn = typeof pred === 'string' ? (e) => e.event === pred : pred;
    const got = await a.next(fn, ms, what).catch((err) => {
      if (/timed out/.test(err.message)) return null;
      throw err;
    });
    if (got) throw new Error(`${identity}: got ${what}: ${JSON.stringify(got).slice(0, 500)}\n${a.describe()}`);
  };

  a.takeAll = (pred) => {
    const fn = typeof pred === 'string' ? (e) => e.event === pred : pred;
    const out = [];
    a.events.forEach((e, i) => { if (!a.taken.has(i) && fn(e)) { a.taken.add(i); out.push(e); } });
    return out;
  };

  a.send = (cmd) => {
    const id = cmd.id ?? a.nextId++;
    child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return id;
  };

  a.request = async (cmd, ms = 10000) => {
    const id = a.send(cmd);
    return a.next((e) => (e.event === 'published' || e.event === 'publishError') && e.id === id, ms, `answer to ${cmd.cmd} #${id}`);
  };

  /** request() that must succeed. */
  a.do = async (cmd, ms = 10000) => {
    const r = await a.request(cmd, ms);
    if (r.event !== 'published') throw new Error(`${identity}: ${cmd.cmd} failed: ${r.message}\n${a.describe()}`);
    return r;
  };

  a.kill = (signal = 'SIGKILL') => { if (!a.exited) child.kill(signal); };
  a.stop = async () => {
    if (!a.exited) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    return a.exit;
  };

  if (connect) {
    try {
      const ev = await a.next((e) => e.event === 'connected' || e.event === 'connectError', connectMs, 'connected');
      if (ev.event === 'connectError') throw new Error(`${identity}: Room.connect failed: ${ev.message}\n${a.describe()}`);
    } catch (err) {
      await a.stop();
      throw err;
    }
  }
  return a;
}

/**
 * Runs fn(agents) with the given agents started in order (each connected before the next starts)
 * and stopped afterwards whatever happens; a failure message gets every agent's description.
 */
export async function withAgents(srv, specs, fn) {
  const agents = [];
  try {
    for (const s of specs) agents.push(await startAgent(srv, s));
    await fn(agents);
  } catch (err) {
    if (err && typeof err === 'object') {
      try { err.message += `\n${agents.map((x) => x.describe()).join('\n')}`; } catch { /* frozen */ }
    }
    throw err;
  } finally {
    await Promise.all(agents.map((x) => x.stop()));
  }
}

/** Waits until `a` has seen every identity in `ids` connect (events since it started). */
export async function awaitPeers(a, ids, ms = 10000) {
  const started = a.events.find((e) => e.event === 'connected');
  const known = new Set(started?.remotes ?? []);
  for (const id of ids) {
    if (known.has(id)) continue;
    await a.next((e) => e.event === 'participantConnected' && e.identity === id, ms, `participantConnected ${id}`);
  }
}

/**
 * The sockets of process `pid` as `ss` lists them (run inside the test's network namespace):
 * { tcp: [{local: port, peer: port}], udp: [port] }.
 */
export function socketsOf(pid) {
  const rows = (args) => execFileSync('ss', [...args, '-npH'], { encoding: 'utf8' })
    .split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/));
  const port = (addr) => Number(addr.slice(addr.lastIndexOf(':') + 1));
  return {
    tcp: rows(['-tn']).map((f) => ({ local: port(f[3]), peer: port(f[4]) })),
    udp: rows(['-uan']).map((f) => port(f[3])),
  };
}
