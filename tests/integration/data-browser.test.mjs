// Data plane with livekit-client 2.23.0 in headless Chromium: Room.connect() completes over
// dcsfu's ICE-lite / DTLS / SCTP, and user data packets flow between two browser Rooms, between
// a browser and @livekit/rtc-node 1.1.0 (fixtures/rtc-node-agent.mjs in a child process), and
// from RoomService SendData (livekit-server-sdk) to a browser. Every check looks at what the SDK
// hands the application: exact bytes, sender identity, topic and kind.
//
// Run inside the test namespace (scripts/test-integration.sh): rtc-node needs DCSFU_NODE_IP.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { DataPacket_Kind } from '@livekit/protocol';
import { RoomServiceClient } from 'livekit-server-sdk';

import {
  API_KEY, API_SECRET, REPO_ROOT, makeToken, randomIdentity, randomRoom, useServer,
} from './helpers.mjs';
import { launchBrowser } from './browser.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({ label: 'data-browser', config: nodeIp ? { rtc: { node_ip: nodeIp } } : undefined });

const CONNECT_MS = 15000;
const DATA_MS = 8000;
// livekit-client reports the protocol's DataPacket_Kind
const RELIABLE = DataPacket_Kind.RELIABLE; // 0
const LOSSY = DataPacket_Kind.LOSSY; // 1
// rtc-node reports its FFI DataPacketKind (@livekit/rtc-ffi-bindings proto/room_pb), which
// numbers them the other way round
const RTC_NODE_KIND_LOSSY = 0;
const RTC_NODE_KIND_RELIABLE = 1;

const b64 = (buf) => Buffer.from(buf).toString('base64');
// The rtc-node agent reports every payload's sha256 (and its bytes only up to 4 KiB).
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** Runs fn(browser) with a fresh Chromium; on failure adds every tab's state and console. */
async function withBrowser(fn) {
  const b = await launchBrowser();
  try {
    await fn(b);
  } catch (err) {
    const diag = [];
    for (const r of b.rooms) diag.push(`--- ${r.label} peer connection ---\n${JSON.stringify(trimDiag(await r.diagnose()), null, 1)}`);
    err.message = `${err.message}\n${diag.join('\n')}\n${b.consoleText()}`;
    throw err;
  } finally {
    await b.close();
  }
}

function trimDiag(d) {
  for (const k of ['publisher', 'subscriber']) {
    if (d?.[k]?.localSdp) d[k].localSdp = d[k].localSdp.split('\r\n');
    if (d?.[k]?.remoteSdp) d[k].remoteSdp = d[k].remoteSdp.split('\r\n');
  }
  return d;
}

/** Opens one tab per identity and connects them all to `room`; waits for ConnectionState connected. */
async function connectTabs(srv, b, room, identities) {
  const tabs = [];
  for (const identity of identities) {
    const tab = await b.openRoom(identity);
    tab.identity = identity;
    await tab.connect(srv.wsUrl, await makeToken({ identity, room, name: `tab ${identity}` }));
    tabs.push(tab);
  }
  for (const tab of tabs) {
    const ev = await tab.waitFor('connected', CONNECT_MS, 'Room.connect() to resolve');
    assert.equal(ev.state, 'connected');
    assert.equal(ev.identity, tab.identity);
    assert.equal(ev.roomName, room);
    assert.match(ev.sid, /^PA_/);
    tab.sid = ev.sid;
  }
  return tabs;
}

/** Waits until `tab` knows every identity in `others` as a remote participant. */
async function waitParticipants(tab, others) {
  for (const id of others) {
    await tab.waitRemote(id, CONNECT_MS);
  }
}

/** Waits until `tab` received `count` data events matching filter; returns them in arrival order. */
async function waitData(tab, filter, count, what) {
  return tab.waitUntil((events) => {
    const got = events.filter((e) => e.type === 'data' && filter(e));
    return got.length >= count ? got : null;
  }, DATA_MS, `${count} data packets (${what})`);
}

/**
 * Messages the tab's `_reliable` and `_lossy` data channels received, from getStats. The kind
 * livekit-client reports comes from the packet; these show which SCTP channel carried it.
 */
async function channelCounts(tab) {
  const d = await tab.diagnose();
  const out = {};
  for (const s of d.publisher?.stats ?? []) {
    if (s.type === 'data-channel') out[s.label] = (out[s.label] ?? 0) + s.messagesReceived;
  }
  return out;
}

function assertPackets(got, sent, { identity, kind, topic }, where) {
  assert.equal(got.length, sent.length, `${where}: packet count`);
  for (let i = 0; i < sent.length; i++) {
    assert.equal(got[i].data, b64(sent[i]), `${where}: bytes of packet ${i} (${sent[i].length} bytes)`);
    assert.equal(got[i].identity, identity, `${where}: sender identity of packet ${i}`);
    assert.equal(got[i].kind, kind, `${where}: kind of packet ${i}`);
    assert.equal(got[i].topic, topic, `${where}: topic of packet ${i}`);
  }
}

// ---------------------------------------------------------------------------------------------
// rtc-node agent (child process, JSON lines)

function startAgent(url, token) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tests/integration/fixtures/rtc-node-agent.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, LK_URL: url, LK_TOKEN: token, RUST_BACKTRACE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const a = { child, out: '', err: '', events: [], waiters: new Set(), nextId: 1 };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let partial = '';
  const wake = () => { for (const w of [...a.waiters]) w(); };
  child.stdout.on('data', (d) => {
    a.out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      try { a.events.push(JSON.parse(l)); } catch { /* SDK log line */ }
    }
    wake();
  });
  child.stderr.on('data', (d) => { a.err += d; });
  a.exited = null;
  a.exit = new Promise((resolve) => child.on('exit', (code, signal) => { a.exited = { code, signal }; wake(); resolve(a.exited); }));
  a.describe = () => `rtc-node agent: exit=${JSON.stringify(a.exited)}\n--- stdout ---\n${a.out.slice(-5000)}\n--- stderr ---\n${a.err.slice(-5000)}`;
  const BAD = ['connectError', 'publishError', 'disconnected'];
  /** Resolves with the first event matching pred; rejects on an error event, exit, or deadline. */
  a.waitFor = (pred, timeoutMs, what) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = a.events.find(pred);
      if (hit) return done(null, hit);
      const bad = a.events.find((e) => BAD.includes(e.event));
      if (bad) return done(new Error(`rtc-node: ${bad.event} while waiting for ${what}: ${JSON.stringify(bad)}\n${a.describe()}`));
      if (a.exited) return done(new Error(`rtc-node process exited while waiting for ${what}\n${a.describe()}`));
      return undefined;
    };
    const timer = setTimeout(() => done(new Error(`rtc-node: timed out after ${timeoutMs} ms waiting for ${what}\n${a.describe()}`)), timeoutMs);
    const done = (err, v) => { clearTimeout(timer); a.waiters.delete(check); if (err) reject(err); else resolve(v); };
    a.waiters.add(check);
    check();
  });
  /** Sends a command and waits for its acknowledgement. */
  a.command = async (cmd) => {
    const id = a.nextId++;
    child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    await a.waitFor((e) => e.event === 'published' && e.id === id, DATA_MS, `ack of ${cmd.cmd} #${id}`);
  };
  a.data = (filter = () => true) => a.events.filter((e) => e.event === 'data' && filter(e));
  /** Room.disconnect() (acknowledged or the Room reports disconnected, 3 s at most), then SIGKILL. */
  a.stop = async () => {
    if (!a.exited) {
      child.stdin.write(`${JSON.stringify({ cmd: 'disconnect', id: 0 })}\n`);
      await new Promise((resolve) => {
        const check = () => {
          if (a.exited || a.events.some((e) => (e.event === 'published' && e.cmd === 'disconnect') || e.event === 'disconnected')) done();
        };
        const timer = setTimeout(() => done(), 3000);
        const done = () => { clearTimeout(timer); a.waiters.delete(check); resolve(); };
        a.waiters.add(check);
        check();
      });
      if (!a.exited) child.kill('SIGKILL');
    }
    return a.exit;
  };
  return a;
}

// ---------------------------------------------------------------------------------------------
// tests

test('livekit-client connect() completes: ICE, DTLS and SCTP up, LiveKit data channels open', { timeout: 60000 }, async (srv) => {
  const room = randomRoom('dbr-connect');
  await withBrowser(async (b) => {
    const t0 = Date.now();
    const [tab] = await connectTabs(srv, b, room, [randomIdentity('web')]);
    const elapsed = Date.now() - t0;
    const d = await tab.diagnose();
    const pub = d.publisher;
    assert.ok(pub, `no publisher peer connection: ${JSON.stringify(d)}`);
    assert.equal(pub.connectionState, 'connected');
    assert.equal(pub.sctp?.state, 'connected', `sctp ${JSON.stringify(pub.sctp)}`);
    assert.equal(pub.sctp?.dtls?.state, 'connected');
    // the answer advertises ICE-lite and one host candidate on the node IP
    assert.match(pub.remoteSdp, /a=ice-lite/);
    if (nodeIp) assert.match(pub.remoteSdp, new RegExp(`a=candidate:\\S+ 1 udp \\d+ ${nodeIp.replace(/\./g, '\\.')} ${srv.udpPort} typ host`));
    assert.match(pub.remoteSdp, /a=setup:active/);
    const transport = pub.stats.find((s) => s.type === 'transport');
    assert.equal(transport?.dtlsState, 'connected', JSON.stringify(transport));
    assert.equal(transport?.dtlsRole, 'server', 'Chromium is the DTLS server when the answer says setup:active');
    // A pair reads 'in-progress' while a consent check on it is outstanding: ask again briefly.
    let pair;
    for (const until = Date.now() + 5000; ;) {
      const stats = (await tab.diagnose()).publisher.stats;
      const tr = stats.find((s) => s.type === 'transport');
      pair = stats.find((s) => s.type === 'candidate-pair' && s.id === tr?.selectedCandidatePairId);
      if (pair?.state === 'succeeded' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(pair?.state, 'succeeded', JSON.stringify(pair));
    assert.ok(pair.nominated && pair.bytesReceived > 0 && pair.bytesSent > 0, JSON.stringify(pair));
    const channels = pub.stats.filter((s) => s.type === 'data-channel' && s.state === 'open').map((s) => s.label);
    for (const label of ['_reliable', '_lossy']) assert.ok(channels.includes(label), `channel ${label} open: ${channels}`);
    assert.ok(elapsed < 10000, `connect took ${elapsed} ms`);
    assert.match(srv.stderr, /mod=room msg="participant active"[^\n]*identity=web-/);
  });
});

test('two browser Rooms exchange reliable and lossy data both ways (bytes, identity, topic, kind)', { timeout: 90000 }, async (srv) => {
  const room = randomRoom('dbr-b2b');
  await withBrowser(async (b) => {
    const [alice, bob] = await connectTabs(srv, b, room, [randomIdentity('alice'), randomIdentity('bob')]);
    await waitParticipants(alice, [bob.identity]);
    await waitParticipants(bob, [alice.identity]);

    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      // reliable: in order, including one message far over the SCTP MTU and every byte value
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const reliable = [Buffer.from('hello'), allBytes, crypto.randomBytes(1100), crypto.randomBytes(60000), Buffer.from([0])];
      const topicR = `chat/${from.identity}/ünïcødé`;
      for (const p of reliable) await from.publish(p, { reliable: true, topic: topicR });
      const gotR = await waitData(to, (e) => e.topic === topicR, reliable.length, `reliable ${from.label}->${to.label}`);
      assertPackets(gotR, reliable, { identity: from.identity, kind: RELIABLE, topic: topicR }, `reliable ${from.label}->${to.label}`);

      // lossy: no loss inside the test namespace; the last one needs several SCTP chunks
      const lossy = [crypto.randomBytes(16), crypto.randomBytes(500), crypto.randomBytes(1000), crypto.randomBytes(5000)];
      const topicL = `pos/${from.identity}`;
      for (const p of lossy) await from.publish(p, { reliable: false, topic: topicL });
      const gotL = await waitData(to, (e) => e.topic === topicL, lossy.length, `lossy ${from.label}->${to.label}`);
      gotL.sort((x, y) => lossy.findIndex((p) => b64(p) === x.data) - lossy.findIndex((p) => b64(p) === y.data));
      assertPackets(gotL, lossy, { identity: from.identity, kind: LOSSY, topic: topicL }, `lossy ${from.label}->${to.label}`);

      // no topic stays no topic
      const plain = crypto.randomBytes(32);
      await from.publish(plain, { reliable: true });
      const [gotP] = await waitData(to, (e) => e.data === b64(plain), 1, `topic-less ${from.label}->${to.label}`);
      assert.equal(gotP.topic, null, 'a packet sent without topic arrives without topic');
      assert.equal(gotP.identity, from.identity);
    }
    // lossy packets travelled on the lossy channel, reliable ones on the reliable channel
    for (const tab of [alice, bob]) {
      const c = await channelCounts(tab);
      assert.equal(c._lossy, 4, `${tab.label}: messages on _lossy ${JSON.stringify(c)}`);
      assert.ok(c._reliable >= 6, `${tab.label}: messages on _reliable ${JSON.stringify(c)}`);
    }
    // nobody hears their own packets
    for (const tab of [alice, bob]) {
      const own = await tab.dataEvents((e) => e.identity === tab.identity);
      assert.equal(own.length, 0, `${tab.label} received its own packets`);
    }
  });
});

test('browser and rtc-node exchange reliable and lossy data both ways', { timeout: 90000 }, async (srv, ctx) => {
  const t0 = Date.now();
  const mark = (what) => ctx.diagnostic(`${what} at ${Date.now() - t0} ms`);
  assert.ok(nodeIp, 'DCSFU_NODE_IP is not set: run through scripts/test-integration.sh (rtc-node ignores loopback)');
  const room = randomRoom('dbr-rtcnode');
  const agentId = randomIdentity('rust');
  const agent = startAgent(srv.wsUrl, await makeToken({ identity: agentId, room, name: 'rtc-node agent' }));
  try {
    await withBrowser(async (b) => {
      const [web] = await connectTabs(srv, b, room, [randomIdentity('web')]);
      await agent.waitFor((e) => e.event === 'connected', CONNECT_MS, 'rtc-node connected');
      await waitParticipants(web, [agentId]);
      await agent.waitFor((e) => e.event === 'participantConnected' && e.identity === web.identity, CONNECT_MS, `rtc-node sees ${web.identity}`);
      mark('both connected');

      // browser -> rtc-node
      const toNode = { reliable: [crypto.randomBytes(200), crypto.randomBytes(40000), Buffer.from('end')], lossy: [crypto.randomBytes(100), crypto.randomBytes(900)] };
      for (const p of toNode.reliable) await web.publish(p, { reliable: true, topic: 'web-r' });
      for (const p of toNode.lossy) await web.publish(p, { reliable: false, topic: 'web-l' });
      const deadline = Date.now() + DATA_MS;
      await agent.waitFor(() => agent.data((e) => e.topic === 'web-r').length >= 3 && agent.data((e) => e.topic === 'web-l').length >= 2,
        Math.max(1, deadline - Date.now()), 'rtc-node to receive 3 reliable + 2 lossy').catch((err) => {
        err.message = `${err.message}\nrtc-node data so far: ${JSON.stringify(agent.data().map((e) => ({ topic: e.topic, kind: e.kind, identity: e.identity, len: e.size })))}`;
        throw err;
      });
      const nodeR = agent.data((e) => e.topic === 'web-r');
      const nodeL = agent.data((e) => e.topic === 'web-l');
      assert.deepEqual(nodeR.map((e) => e.sha256), toNode.reliable.map(sha256), 'rtc-node reliable bytes, in order');
      assert.deepEqual(new Set(nodeL.map((e) => e.sha256)), new Set(toNode.lossy.map(sha256)), 'rtc-node lossy bytes');
      for (const e of [...nodeR, ...nodeL]) assert.equal(e.identity, web.identity, 'sender identity at rtc-node');
      // rtc-node reports its FFI enum, not the protocol's
      for (const e of nodeR) assert.equal(e.kind, RTC_NODE_KIND_RELIABLE, 'kind of a reliable packet at rtc-node');
      for (const e of nodeL) assert.equal(e.kind, RTC_NODE_KIND_LOSSY, 'kind of a lossy packet at rtc-node');

      mark('browser -> rtc-node done');
      // rtc-node -> browser
      const fromNode = { reliable: [crypto.randomBytes(300), crypto.randomBytes(50000)], lossy: [crypto.randomBytes(64), crypto.randomBytes(1000)] };
      for (const p of fromNode.reliable) await agent.command({ cmd: 'publish', data: b64(p), reliable: true, topic: 'node-r' });
      for (const p of fromNode.lossy) await agent.command({ cmd: 'publish', data: b64(p), reliable: false, topic: 'node-l' });
      const webR = await waitData(web, (e) => e.topic === 'node-r', 2, 'reliable rtc-node->browser');
      assertPackets(webR, fromNode.reliable, { identity: agentId, kind: RELIABLE, topic: 'node-r' }, 'reliable rtc-node->browser');
      const webL = await waitData(web, (e) => e.topic === 'node-l', 2, 'lossy rtc-node->browser');
      webL.sort((x, y) => fromNode.lossy.findIndex((p) => b64(p) === x.data) - fromNode.lossy.findIndex((p) => b64(p) === y.data));
      assertPackets(webL, fromNode.lossy, { identity: agentId, kind: LOSSY, topic: 'node-l' }, 'lossy rtc-node->browser');
      const c = await channelCounts(web);
      assert.equal(c._lossy, 2, `browser: messages on _lossy ${JSON.stringify(c)}`);
      assert.ok(c._reliable >= 2, `browser: messages on _reliable ${JSON.stringify(c)}`);
      mark('rtc-node -> browser done');
    });
  } catch (err) {
    if (!err.message.includes('rtc-node agent:')) err.message = `${err.message}\n${agent.describe()}`;
    throw err;
  } finally {
    await agent.stop();
    mark('rtc-node stopped');
  }
  assert.doesNotMatch(agent.out + agent.err, /panicked at/, agent.describe());
});

test('browser receives RoomService SendData: broadcast and targeted, reliable and lossy', { timeout: 90000 }, async (srv) => {
  const room = randomRoom('dbr-senddata');
  const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET);
  await withBrowser(async (b) => {
    const [one, two] = await connectTabs(srv, b, room, [randomIdentity('one'), randomIdentity('two')]);

    const bcast = crypto.randomBytes(700);
    await svc.sendData(room, bcast, DataPacket_Kind.RELIABLE, { topic: 'server-news' });
    for (const tab of [one, two]) {
      const got = await waitData(tab, (e) => e.topic === 'server-news', 1, 'server broadcast');
      // no sending participant: livekit-client passes participant undefined
      assertPackets(got, [bcast], { identity: null, kind: RELIABLE, topic: 'server-news' }, `SendData at ${tab.label}`);
    }

    const lossy = crypto.randomBytes(300);
    await svc.sendData(room, lossy, DataPacket_Kind.LOSSY, { topic: 'server-lossy' });
    for (const tab of [one, two]) {
      const got = await waitData(tab, (e) => e.topic === 'server-lossy', 1, 'server lossy broadcast');
      assertPackets(got, [lossy], { identity: null, kind: LOSSY, topic: 'server-lossy' }, `lossy SendData at ${tab.label}`);
    }

    // targeted at `two` only, then a broadcast on the same reliable channel: when `one` has the
    // broadcast it would already have the targeted packet had it been sent there
    const targeted = crypto.randomBytes(50);
    await svc.sendData(room, targeted, DataPacket_Kind.RELIABLE, { topic: 'server-dm', destinationIdentities: [two.identity] });
    const after = crypto.randomBytes(20);
    await svc.sendData(room, after, DataPacket_Kind.RELIABLE, { topic: 'server-after' });
    const gotT = await waitData(two, (e) => e.topic === 'server-dm', 1, 'targeted SendData');
    assertPackets(gotT, [targeted], { identity: null, kind: RELIABLE, topic: 'server-dm' }, 'targeted SendData');
    await waitData(one, (e) => e.topic === 'server-after', 1, 'broadcast after the targeted packet');
    assert.equal((await one.dataEvents((e) => e.topic === 'server-dm')).length, 0, 'targeted packet reached a participant it was not for');
  });
});
