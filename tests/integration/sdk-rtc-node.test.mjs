// @livekit/rtc-node 1.1.0 (Rust core) against the server. Until the data plane exists its
// Room.connect() cannot complete, so the test checks what signalling alone must achieve: the
// client gets a JoinResponse it accepts (no panic, no early error) and the room sees it.
// The SDK runs in a child process (fixtures/rtc-node-join.mjs) so a native crash or hang
// cannot take the test runner with it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ClientInfo_Capability, ParticipantInfo_State } from '@livekit/protocol';

import {
  REPO_ROOT, SID_RE, delay, joinRoom, makeToken, randomIdentity, randomRoom, useServer,
} from './helpers.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({ label: 'rtc-node', config: nodeIp ? { rtc: { node_ip: nodeIp } } : undefined });

function startRtcNode(url, token) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tests/integration/fixtures/rtc-node-join.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, LK_URL: url, LK_TOKEN: token, RUST_BACKTRACE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const h = { child, out: '', err: '', events: [] };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let partial = '';
  child.stdout.on('data', (d) => {
    h.out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      try { h.events.push(JSON.parse(l)); } catch { /* SDK log line */ }
    }
  });
  child.stderr.on('data', (d) => { h.err += d; });
  h.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  h.describe = () => `rtc-node child: exit=${JSON.stringify(child.exitCode ?? child.signalCode)}\n--- stdout ---\n${h.out.slice(-6000)}\n--- stderr ---\n${h.err.slice(-6000)}`;
  h.stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return h.exit;
  };
  return h;
}

test('rtc-node 1.1.0 gets through the JoinResponse and appears in the room', { timeout: 45000 }, async (srv) => {
  const room = randomRoom('rtcnode');
  const observer = await joinRoom(srv, { room, identity: randomIdentity('observer') });
  const identity = randomIdentity('rtcnode');
  const token = await makeToken({ identity, room, name: 'Rust core' });
  const rn = startRtcNode(srv.wsUrl, token);
  try {
    const crashed = rn.exit.then((e) => { throw new Error(`rtc-node process exited early ${JSON.stringify(e)}\n${rn.describe()}`); });
    crashed.catch(() => {});
    const info = await Promise.race([
      observer.nextParticipant((p) => p.identity === identity && p.state !== ParticipantInfo_State.DISCONNECTED, 15000, `update for ${identity}`),
      crashed,
    ]).catch((err) => { throw new Error(`${err.message}\n${rn.describe()}`); });
    assert.match(info.sid, SID_RE.participant);
    assert.equal(info.name, 'Rust core');
    assert.equal(info.clientProtocol, 2);
    assert.deepEqual(info.capabilities, [ClientInfo_Capability.CAP_PACKET_TRAILER, ClientInfo_Capability.CAP_COMPRESSION_DEFLATE_RAW]);

    // A JoinResponse the Rust core dislikes makes it panic or fail at once: give it a moment.
    const early = await Promise.race([rn.exit, delay(3000).then(() => null)]);
    assert.equal(early, null, `rtc-node process exited: ${JSON.stringify(early)}\n${rn.describe()}`);
    assert.doesNotMatch(rn.out + rn.err, /panicked at/, rn.describe());
    const failed = rn.events.find((e) => e.event === 'connectError');
    assert.equal(failed, undefined, `Room.connect failed early: ${failed?.message}\n${rn.describe()}`);
    assert.ok(rn.events.some((e) => e.event === 'connecting'), rn.describe());

    // The server keeps the session alive (rtc-node pings with ping_req every 5 s).
    await observer.ping();
  } finally {
    await rn.stop();
  }
  // the dead client's WebSocket is gone: the room drops it
  await observer.nextParticipant((p) => p.identity === identity && p.state === ParticipantInfo_State.DISCONNECTED, 10000, `DISCONNECTED for ${identity}`);
  assert.deepEqual(observer.versionViolations, []);
  observer.close();
});

test('rtc-node with a bad token fails fast and does not crash', { timeout: 30000 }, async (srv) => {
  const room = randomRoom('rtcnode-bad');
  const token = await makeToken({ identity: randomIdentity('rtcnode'), room, secret: 'wrong-secret' });
  const rn = startRtcNode(srv.wsUrl, token);
  try {
    const deadline = Date.now() + 15000;
    while (!rn.events.some((e) => e.event === 'connectError') && Date.now() < deadline) {
      const exited = await Promise.race([rn.exit, delay(100).then(() => null)]);
      if (exited) break;
    }
    const failed = rn.events.find((e) => e.event === 'connectError');
    assert.ok(failed, `expected Room.connect to fail\n${rn.describe()}`);
    assert.match(failed.message, /401|invalid|authoriz/i, rn.describe());
    assert.doesNotMatch(rn.out + rn.err, /panicked at/, rn.describe());
  } finally {
    await rn.stop();
  }
});
