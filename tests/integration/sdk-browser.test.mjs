// livekit-client 2.23.0 in headless Chromium (playwright-core driving /usr/bin/chromium).
// Until the data plane exists Room.connect() cannot complete; the test checks that the SDK
// accepts the JoinResponse (RoomEvent.SignalConnected) and that the room sees the participant.
// A missing Chromium fails the test: it must not be skipped.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ParticipantInfo_State } from '@livekit/protocol';

import { CHROMIUM, CHROMIUM_FLAGS, UMD, startStatic } from './browser.mjs';
import { joinRoom, makeToken, randomIdentity, randomRoom, useServer } from './helpers.mjs';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><script src="/livekit-client.umd.js"></script></head>
<body><script>
window.__events = [];
const push = (type, extra) => window.__events.push(Object.assign({ type, t: Date.now() }, extra || {}));
window.startJoin = (url, token) => {
  const LK = window.LivekitClient;
  LK.setLogLevel('warn');
  const room = new LK.Room();
  window.__room = room;
  room.on(LK.RoomEvent.SignalConnected, () => push('signalConnected', {
    sid: room.localParticipant.sid, identity: room.localParticipant.identity, roomName: room.name,
  }));
  room.on(LK.RoomEvent.Disconnected, (reason) => push('disconnected', { reason }));
  room.on(LK.RoomEvent.ParticipantConnected, (p) => push('participantConnected', { identity: p.identity }));
  room.connect(url, token).then(
    () => push('connected'),
    (e) => push('connectError', { message: String((e && e.message) || e), reason: e && e.reason, status: e && e.status }),
  );
};
</script></body></html>`;

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({ label: 'browser', config: nodeIp ? { rtc: { node_ip: nodeIp } } : undefined });

async function openPage() {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  assert.ok(fs.existsSync(UMD), `${UMD} missing (run npm ci)`);
  const stat = await startStatic(PAGE);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true, timeout: 20000 });
    await context.grantPermissions(['camera', 'microphone']);
    const page = context.pages()[0] ?? await context.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(`http://localhost:${stat.port}/`, { timeout: 10000 });
    const close = async () => {
      await context.close().catch(() => {});
      await stat.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    };
    return { page, consoleLines, close };
  } catch (err) {
    await context?.close().catch(() => {});
    await stat.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
}

async function waitEvent(b, types, timeoutMs) {
  try {
    await b.page.waitForFunction((ts) => window.__events.some((e) => ts.includes(e.type)), types, { timeout: timeoutMs, polling: 50 });
  } catch { /* reported below with the events */ }
  return b.page.evaluate(() => window.__events);
}

test('livekit-client 2.23.0 in Chromium: SignalConnected fires and the room sees the participant', { timeout: 60000 }, async (srv) => {
  const room = randomRoom('browser');
  const observer = await joinRoom(srv, { room, identity: randomIdentity('observer') });
  const identity = randomIdentity('browser');
  const token = await makeToken({ identity, room, name: 'Chromium' });
  const b = await openPage();
  try {
    await b.page.evaluate(([u, t]) => window.startJoin(u, t), [srv.wsUrl, token]);
    const events = await waitEvent(b, ['signalConnected', 'connectError'], 10000);
    const sc = events.find((e) => e.type === 'signalConnected');
    assert.ok(sc, `no SignalConnected; events ${JSON.stringify(events)}\nconsole:\n${b.consoleLines.join('\n')}`);
    assert.equal(sc.identity, identity);
    assert.match(sc.sid, /^PA_/);
    assert.equal(sc.roomName, room);
    const info = await observer.nextParticipant((p) => p.identity === identity && p.state !== ParticipantInfo_State.DISCONNECTED, 5000, `update for ${identity}`);
    assert.equal(info.sid, sc.sid);
    assert.equal(info.clientProtocol, 2);
    assert.equal(info.name, 'Chromium');
  } finally {
    await b.close();
  }
  await observer.nextParticipant((p) => p.identity === identity && p.state === ParticipantInfo_State.DISCONNECTED, 10000, `DISCONNECTED for ${identity}`);
  observer.close();
});

test('livekit-client with a bad token fails fast with NotAllowed (validate answered with CORS)', { timeout: 40000 }, async (srv) => {
  const token = await makeToken({ identity: randomIdentity('browser'), room: randomRoom('browser-bad'), secret: 'wrong-secret' });
  const b = await openPage();
  try {
    const t0 = Date.now();
    await b.page.evaluate(([u, t]) => window.startJoin(u, t), [srv.wsUrl, token]);
    const events = await waitEvent(b, ['connectError', 'signalConnected'], 10000);
    const err = events.find((e) => e.type === 'connectError');
    assert.ok(err, `expected connect() to fail; events ${JSON.stringify(events)}\nconsole:\n${b.consoleLines.join('\n')}`);
    // ConnectionErrorReason.NotAllowed is 0 (Room.connect keeps the reason but not reasonName);
    // the message carries the body of the 401, which the SDK could only read thanks to CORS
    assert.equal(err.reason, 0, `error ${JSON.stringify(err)}`);
    assert.equal(err.status, 401);
    assert.match(err.message, /invalid authorization token/);
    assert.ok(Date.now() - t0 < 8000, 'failed fast');
  } finally {
    await b.close();
  }
});
