// Signals: SIGTERM/SIGINT drain the server (no new joins, rooms in progress carry on until they
// empty or shutdown.drain_timeout passes, then Leave SERVER_SHUTDOWN and exit 0), a second
// SIGTERM stops at once, SIGHUP reloads the API keys from the config file without dropping
// anyone. Each test runs a server of its own. The rtc-node parts need the network namespace of
// scripts/test-integration.sh (DCSFU_NODE_IP).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { DisconnectReason, SessionDescription } from '@livekit/protocol';

import {
  REPO_ROOT, SANITIZER_MARKERS, attachLog, connectSignal, defaultJoinRequest, delay, expectRefusal, httpGet,
  joinRoom, makeToken, randomRoom, startServer, toYaml, validateUrl, withDeadline,
} from './helpers.mjs';
import { awaitPeers, withAgents } from './agent.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const rtcConfig = nodeIp ? { rtc: { node_ip: nodeIp } } : {};
const b64 = (s) => Buffer.from(s).toString('base64');
const SERVER_SHUTDOWN = DisconnectReason.SERVER_SHUTDOWN;

/** Runs fn(srv) with a server of its own; always kills it if fn leaves it running. */
async function withOwnServer(opts, fn) {
  const srv = await startServer(opts);
  try {
    await fn(srv);
  } catch (err) {
    throw attachLog(err, srv);
  } finally {
    if (!srv.exited) await srv.stop();
  }
}

/** Waits for the server to exit on its own and checks it exited 0 without sanitizer reports. */
async function assertExitsClean(srv, ms, what) {
  const res = await withDeadline(srv.exitPromise, ms, what);
  assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null }, `exit status (${what})`);
  for (const m of SANITIZER_MARKERS) assert.ok(!srv.stderr.includes(m), `stderr contains "${m}"`);
}

/** SIGTERM, then wait until GET / says the server is draining. */
async function startDrain(srv) {
  srv.proc.kill('SIGTERM');
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await httpGet(`${srv.httpUrl}/`);
    if (r.status === 406) return r;
    assert.ok(Date.now() < deadline, `GET / still answers ${r.status} after SIGTERM`);
    await delay(20);
  }
}

async function assertJoinsRefused(srv) {
  const root = await httpGet(`${srv.httpUrl}/`);
  assert.equal(root.status, 406);
  assert.match(root.body, /^Not Ready/);
  const room = randomRoom('late');
  const token = await makeToken({ identity: 'latecomer', room });
  const v = await httpGet(validateUrl({ url: srv.wsUrl, token }));
  assert.equal(v.status, 503, 'validate while draining');
  assert.equal(v.body, 'server is draining');
  const r = await expectRefusal({ url: srv.wsUrl, token });
  assert.deepEqual({ kind: r.kind, status: r.status, body: r.body },
    { kind: 'http', status: 503, body: 'server is draining' }, 'join while draining');
}

test('an idle server exits at once on SIGTERM', async () => {
  await withOwnServer({ label: 'drain-idle', drainTimeout: null }, async (srv) => {
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    await assertExitsClean(srv, 2000, 'idle server after SIGTERM');
    assert.ok(Date.now() - t0 < 2000);
  });
});

test('during a drain data keeps flowing, joins are refused, and the server exits 0 once the room empties', { timeout: 60000 }, async () => {
  assert.ok(process.env.DCSFU_IN_NETNS === '1' && nodeIp, 'run through scripts/test-integration.sh');
  await withOwnServer({ label: 'drain-empty', drainTimeout: null, config: { ...rtcConfig, shutdown: { drain_timeout: 60 } } }, async (srv) => {
    const room = randomRoom('drain');
    await withAgents(srv, [{ identity: 'A', room }, { identity: 'B', room }], async ([a, b]) => {
      await awaitPeers(a, ['B']);
      await awaitPeers(b, ['A']);
      await a.do({ cmd: 'publish', data: b64('warm-up'), topic: 'warm' });
      await b.next((e) => e.event === 'data' && e.topic === 'warm', 10000, 'warm-up data');

      await startDrain(srv);
      await assertJoinsRefused(srv);
      for (let i = 0; i < 5; i++) {
        await a.do({ cmd: 'publish', data: b64(`during-drain-${i}`), topic: 'drain' });
        const ev = await b.next((e) => e.event === 'data' && e.topic === 'drain', 5000, `drain message ${i}`);
        assert.equal(ev.data, b64(`during-drain-${i}`));
        await b.do({ cmd: 'publish', data: b64(`reply-${i}`), topic: 'reply' });
        await a.next((e) => e.event === 'data' && e.topic === 'reply', 5000, `reply ${i}`);
      }
      assert.equal(srv.exited, null, 'still running while the room is in use');

      await a.do({ cmd: 'disconnect' });
      await b.next((e) => e.event === 'participantDisconnected' && e.identity === 'A', 5000, 'A left');
      assert.equal(srv.exited, null, 'still running with B in the room');
      const t0 = Date.now();
      await b.do({ cmd: 'disconnect' });
      await assertExitsClean(srv, 5000, 'exit after the last participant left');
      assert.ok(Date.now() - t0 < 3000, 'exit follows the last leave promptly');
    });
  });
});

test('when the drain timeout passes everyone left gets Leave SERVER_SHUTDOWN and the server exits 0', { timeout: 60000 }, async () => {
  const withRtc = process.env.DCSFU_IN_NETNS === '1' && nodeIp;
  await withOwnServer({ label: 'drain-timeout', drainTimeout: null, config: { ...rtcConfig, shutdown: { drain_timeout: 2 } } }, async (srv) => {
    const room = randomRoom('drain');
    const c1 = await joinRoom(srv, { room, identity: 'sig-1' });
    const c2 = await joinRoom(srv, { room: randomRoom('other'), identity: 'sig-2' });
    const run = async (agents) => {
      const t0 = Date.now();
      await startDrain(srv);
      assert.equal(await c1.aliveOrClosed(), 'alive');
      await assertExitsClean(srv, 6000, 'exit after the drain timeout');
      const took = Date.now() - t0;
      assert.ok(took >= 1800 && took < 4500, `exit after about 2 s (took ${took} ms)`);
      for (const c of [c1, c2]) {
        const leave = await c.next((m) => m.message.case === 'leave', 2000, `Leave for ${c.identity}`);
        assert.equal(leave.message.value.reason, SERVER_SHUTDOWN);
        await c.waitClose(2000);
      }
      for (const a of agents) {
        const d = await a.next('disconnected', 5000, `${a.identity} disconnected`);
        assert.equal(d.reason, SERVER_SHUTDOWN, 'rtc-node reports SERVER_SHUTDOWN');
      }
    };
    if (withRtc) await withAgents(srv, [{ identity: 'R', room }], run);
    else await run([]);
  });
});

test('a second SIGTERM stops the server at once', async () => {
  await withOwnServer({ label: 'drain-twice', drainTimeout: 60 }, async (srv) => {
    const c = await joinRoom(srv, { room: randomRoom('twice'), identity: 'stays' });
    await startDrain(srv);
    await delay(300);
    assert.equal(srv.exited, null, 'first SIGTERM drains');
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    await assertExitsClean(srv, 3000, 'exit after the second SIGTERM');
    assert.ok(Date.now() - t0 < 3000);
    const leave = await c.next((m) => m.message.case === 'leave', 2000, 'Leave');
    assert.equal(leave.message.value.reason, SERVER_SHUTDOWN);
  });
});

test('SIGINT drains like SIGTERM', async () => {
  await withOwnServer({ label: 'drain-sigint', drainTimeout: 1 }, async (srv) => {
    const c = await joinRoom(srv, { room: randomRoom('int'), identity: 'stays' });
    srv.proc.kill('SIGINT');
    await assertExitsClean(srv, 4000, 'exit after SIGINT and the drain timeout');
    const leave = await c.next((m) => m.message.case === 'leave', 2000, 'Leave');
    assert.equal(leave.message.value.reason, SERVER_SHUTDOWN);
  });
});

test('SIGHUP reloads the keys from the config file without dropping anyone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-hup-'));
  const file = path.join(dir, 'livekit.yaml');
  const keyA = { apiKey: 'APIkeyA', secret: crypto.randomBytes(24).toString('hex') };
  const keyB = { apiKey: 'APIkeyB', secret: crypto.randomBytes(24).toString('hex') };
  const write = (k, extra = {}) => fs.writeFileSync(file, toYaml({ keys: { [k.apiKey]: k.secret }, ...extra }));
  write(keyA);
  try {
    await withOwnServer({ label: 'sighup', args: ['--config', file] }, async (srv) => {
      const room = randomRoom('hup');
      const tok = (k, identity) => makeToken({ identity, room, ...k });
      const validate = async (k) => (await httpGet(validateUrl({ url: srv.wsUrl, token: await tok(k, 'v') }))).status;
      assert.equal(await validate(keyA), 200, 'key A works at start');
      assert.equal(await validate(keyB), 401, 'key B unknown at start');
      // the file's keys replace the dev key, so joinRoom (dev key) is not used here
      const a = await connectSignal({ url: srv.wsUrl, token: await tok(keyA, 'with-a') });

      write(keyB, { logging: { level: 'debug' } });
      srv.proc.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (await validate(keyB) !== 200) {
        assert.ok(Date.now() < deadline, 'key B accepted after SIGHUP');
        await delay(20);
      }
      assert.equal(await validate(keyA), 401, 'key A refused after the reload');
      assert.equal(await a.aliveOrClosed(), 'alive', 'participant joined with key A stays');
      const b = await connectSignal({ url: srv.wsUrl, token: await tok(keyB, 'with-b') });
      await a.next((m) => m.message.case === 'update'
        && m.message.value.participants.some((p) => p.identity === 'with-b'), 5000, 'A sees B join');
      assert.match(srv.stderr, /configuration reloaded/);

      // a broken file: the reload fails, the keys in use stay
      fs.writeFileSync(file, 'keys: [not, a, mapping\n');
      const errors = srv.stderr.length;
      srv.proc.kill('SIGHUP');
      const deadline2 = Date.now() + 5000;
      while (!srv.stderr.slice(errors).includes('configuration reload failed')) {
        assert.ok(Date.now() < deadline2, 'reload failure logged');
        await delay(20);
      }
      assert.equal(await validate(keyB), 200, 'key B still works after a failed reload');
      assert.equal(await a.aliveOrClosed(), 'alive');
      assert.equal(await b.aliveOrClosed(), 'alive');
      assert.ok(!/APIkey[AB]: [0-9a-f]{48}/.test(srv.stderr) && !srv.stderr.includes(keyA.secret)
        && !srv.stderr.includes(keyB.secret), 'secrets never logged');
      a.close();
      b.close();
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the server log never carries tokens, query strings or ICE passwords', async () => {
  await withOwnServer({ label: 'log-secrets', drainTimeout: null, config: { logging: { level: 'debug' } } }, async (srv) => {
    const room = randomRoom('log');
    const offer = fs.readFileSync(path.join(REPO_ROOT, 'tests/integration/fixtures/chromium-publisher-offer.sdp'), 'utf8');
    const c = await joinRoom(srv, {
      room, identity: 'logged',
      joinRequest: defaultJoinRequest({ publisherOffer: new SessionDescription({ type: 'offer', sdp: offer, id: 1 }) }),
    });
    const answer = (await c.next('answer', 5000)).message.value.sdp;
    const pwds = [offer, answer].map((sdp) => sdp.match(/a=ice-pwd:(\S+)/)?.[1]);
    assert.ok(pwds.every((p) => p && p.length >= 22), `both ICE passwords found: ${pwds}`);
    const bad = await makeToken({ identity: 'x', room, secret: 'wrong-secret-wrong-secret-wrong!!' });
    await httpGet(validateUrl({ url: srv.wsUrl, token: bad }));
    await expectRefusal({ url: srv.wsUrl, token: bad });
    c.close();
    srv.proc.kill('SIGTERM');
    await assertExitsClean(srv, 5000, 'exit');
    for (const t of [c.token, bad]) {
      assert.ok(!srv.stderr.includes(t), 'token in the log');
      assert.ok(!srv.stderr.includes(t.split('.')[2]), 'token signature in the log');
    }
    assert.ok(!srv.stderr.includes('access_token'), 'query string in the log');
    assert.ok(!srv.stderr.includes('join_request='), 'query string in the log');
    assert.ok(!srv.stderr.includes(pwds[0]), 'the client\'s ICE password in the log');
    assert.ok(!srv.stderr.includes(pwds[1]), 'the server\'s ICE password in the log');
    assert.ok(srv.stderr.includes('level=debug'), 'the log was at debug level');
  });
});
