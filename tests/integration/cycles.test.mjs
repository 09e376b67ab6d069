// 200 join/leave cycles of real rtc-node clients (4 processes x 50, each cycle a full connect:
// ICE, DTLS, SCTP, one reliable message, leave). The server must account for every one of them
// (an observer sees each participant come and go), keep no file descriptor behind, and, in the
// sanitizer build, exit with no leak report (checked when the file's server stops).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ParticipantInfo_State } from '@livekit/protocol';

import { REPO_ROOT, joinRoom, makeToken, randomIdentity, randomRoom, useServer } from './helpers.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({ label: 'cycles', config: nodeIp ? { rtc: { node_ip: nodeIp } } : undefined });

const PROCESSES = 4;
const PER_PROCESS = 50;

function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function runCycles(url, tokens) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tests/integration/fixtures/rtc-node-cycles.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, LK_URL: url, LK_TOKENS: tokens.join('\n') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      const cycles = out.split('\n').filter((l) => l.includes('"event":"cycle"')).length;
      if (code === 0) resolve(cycles);
      else reject(new Error(`cycles child exited ${code} after ${cycles} cycles\n${out.slice(-3000)}\n${err.slice(-3000)}`));
    });
  });
}

test('200 join/leave cycles of rtc-node clients leave nothing behind', { timeout: 240000 }, async (srv) => {
  const room = randomRoom('cycles');
  const observer = await joinRoom(srv, { room, identity: randomIdentity('observer') });
  const fdsBefore = fdCount(srv.proc.pid);
  const seen = new Map();
  // Signaling-only clients must ping like the SDKs do, or the server closes them when idle.
  const keepalive = setInterval(() => observer.send('ping', BigInt(Date.now())), 5000);
  const work = [];
  for (let p = 0; p < PROCESSES; p++) {
    const tokens = [];
    for (let i = 0; i < PER_PROCESS; i++) {
      tokens.push(await makeToken({ identity: `c${p}-${i}`, room, ttl: '1h' }));
    }
    work.push(runCycles(srv.wsUrl, tokens));
  }
  const counts = await Promise.all(work).finally(() => clearInterval(keepalive));
  assert.equal(counts.reduce((a, b) => a + b, 0), PROCESSES * PER_PROCESS);

  // Every participant was announced ACTIVE and then DISCONNECTED to the observer.
  const deadline = Date.now() + 20000;
  for (;;) {
    for (const m of observer.messages) {
      if (m.message.case !== 'update') continue;
      for (const pi of m.message.value.participants) {
        const s = seen.get(pi.identity) ?? new Set();
        s.add(pi.state);
        seen.set(pi.identity, s);
      }
    }
    const done = [...seen.values()].filter((s) => s.has(ParticipantInfo_State.ACTIVE) && s.has(ParticipantInfo_State.DISCONNECTED)).length;
    if (done === PROCESSES * PER_PROCESS) break;
    if (Date.now() > deadline) {
      assert.fail(`only ${done} of ${PROCESSES * PER_PROCESS} participants seen ACTIVE then DISCONNECTED`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // The observer is still served, and no descriptor was left behind.
  await observer.ping();
  assert.ok(fdCount(srv.proc.pid) <= fdsBefore, `fds before ${fdsBefore}, after ${fdCount(srv.proc.pid)}`);
  observer.close();
});
