// livekit-client 2.23.0 in headless Chromium for the integration tests.
//
// - launchBrowser(): one Chromium (playwright-core, /usr/bin/chromium or $CHROMIUM_PATH) with the
//   flags from TESTING.md, a fresh user-data-dir, camera/microphone granted, and a localhost
//   static server that serves PAGE and livekit-client's UMD bundle. Fails (never skips) when
//   Chromium or the bundle is missing.
// - browser.openRoom(label): a new tab holding one livekit-client Room. Its methods drive the
//   Room and read the events the page recorded (window.__events): connect, publish, waitFor
//   (with a deadline, failing at once on an error event), dataEvents, diagnose (peer connection
//   states, SDPs, ICE candidate pairs, DTLS and SCTP state from getStats).
// Every wait has a deadline; nothing sleeps for a fixed time.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { REPO_ROOT } from './helpers.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];
export const UMD = path.join(REPO_ROOT, 'node_modules/livekit-client/dist/livekit-client.umd.js');

/** Event types the page records that end a wait at once with a failure. */
export const ERROR_EVENTS = ['connectError', 'disconnected', 'pageerror', 'publishError'];

// The page: one Room per tab. Events go to window.__events as plain objects; byte payloads
// travel as base64 so they survive the trip through playwright unchanged.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><script src="/livekit-client.umd.js"></script></head>
<body><script>
window.__events = [];
const push = (type, extra) => window.__events.push(Object.assign({ type, t: Date.now() }, extra || {}));
window.addEventListener('error', (e) => push('pageerror', { message: String(e.message) }));
window.addEventListener('unhandledrejection', (e) => push('pageerror', { message: 'unhandled rejection: ' + String((e.reason && e.reason.message) || e.reason) }));
const toB64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]); return btoa(s); };
const fromB64 = (b64) => { const s = atob(b64); const u8 = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u8[i] = s.charCodeAt(i); return u8; };

window.lkConnect = (url, token, logLevel) => {
  const LK = window.LivekitClient;
  LK.setLogLevel(logLevel || 'warn');
  const room = new LK.Room({ adaptiveStream: false, dynacast: false });
  window.__room = room;
  const E = LK.RoomEvent;
  room.on(E.SignalConnected, () => push('signalConnected', { sid: room.localParticipant.sid, identity: room.localParticipant.identity }));
  room.on(E.ConnectionStateChanged, (s) => push('connectionState', { state: s }));
  room.on(E.Disconnected, (reason) => push('disconnected', { reason }));
  room.on(E.Reconnecting, () => push('reconnecting'));
  room.on(E.ParticipantConnected, (p) => push('participantConnected', { identity: p.identity }));
  room.on(E.ParticipantDisconnected, (p) => push('participantDisconnected', { identity: p.identity }));
  room.on(E.DataReceived, (payload, participant, kind, topic, _enc, participantIdentity) => push('data', {
    identity: participant ? participant.identity : null,
    participantIdentity: participantIdentity === undefined ? null : participantIdentity,
    kind: kind === undefined ? null : kind,
    topic: topic === undefined ? null : topic,
    data: toB64(payload),
  }));
  room.connect(url, token).then(
    () => push('connected', { state: room.state, sid: room.localParticipant.sid, identity: room.localParticipant.identity, roomName: room.name,
      remotes: Array.from(room.remoteParticipants.values()).map((p) => p.identity) }),
    (e) => push('connectError', { message: String((e && e.message) || e), reason: e && e.reason, status: e && e.status }),
  );
};

window.lkPublish = async (b64, opts) => {
  try {
    await window.__room.localParticipant.publishData(fromB64(b64), opts);
    push('published', { n: 1 });
  } catch (e) {
    push('publishError', { message: String((e && e.message) || e) });
  }
};

window.lkDiagnose = async () => {
  const room = window.__room;
  const out = { roomState: room && room.state };
  const pm = room && room.engine && room.engine.pcManager;
  if (!pm) return Object.assign(out, { note: 'no pcManager' });
  for (const name of ['publisher', 'subscriber']) {
    const t = pm[name];
    if (!t) continue;
    const pc = t._pc;
    const d = { };
    if (pc) {
      Object.assign(d, {
        connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
        iceGatheringState: pc.iceGatheringState, signalingState: pc.signalingState,
        localSdp: pc.localDescription && pc.localDescription.sdp,
        remoteSdp: pc.remoteDescription && pc.remoteDescription.sdp,
        sctp: pc.sctp ? { state: pc.sctp.state, maxMessageSize: pc.sctp.maxMessageSize,
          dtls: pc.sctp.transport ? { state: pc.sctp.transport.state, ice: pc.sctp.transport.iceTransport && pc.sctp.transport.iceTransport.state } : null } : null,
      });
      try {
        const rep = await pc.getStats();
        d.stats = [];
        rep.forEach((s) => {
          if (['candidate-pair', 'local-candidate', 'remote-candidate', 'transport', 'data-channel', 'certificate'].includes(s.type)) {
            const keep = {};
            for (const k of ['type', 'id', 'state', 'nominated', 'bytesSent', 'bytesReceived', 'requestsSent', 'responsesReceived',
              'requestsReceived', 'responsesSent', 'address', 'port', 'protocol', 'candidateType', 'localCandidateId', 'remoteCandidateId',
              'dtlsState', 'dtlsRole', 'iceState', 'iceRole', 'selectedCandidatePairId', 'tlsVersion', 'dtlsCipher', 'srtpCipher',
              'packetsSent', 'packetsReceived', 'label', 'protocol', 'messagesSent', 'messagesReceived', 'fingerprintAlgorithm']) {
              if (s[k] !== undefined) keep[k] = s[k];
            }
            d.stats.push(keep);
          }
        });
      } catch (e) { d.statsError = String(e); }
    }
    out[name] = d;
  }
  return out;
};

window.lkDisconnect = async () => { if (window.__room) await window.__room.disconnect(); };
</script></body></html>`;

/** A localhost static server for `page` (default: this module's page) and the livekit-client bundle. */
export async function startStatic(page = PAGE) {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(page);
    } else if (req.url === '/livekit-client.umd.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      fs.createReadStream(UMD).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  return {
    port: server.address().port,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/**
 * One Chromium with a static server; openRoom() adds a tab with its own Room. extraArgs are added
 * to CHROMIUM_FLAGS (e.g. --ignore-certificate-errors-spki-list for a test certificate).
 */
export async function launchBrowser({ extraArgs = [] } = {}) {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  assert.ok(fs.existsSync(UMD), `${UMD} missing (run npm ci)`);
  const stat = await startStatic();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-chromium-'));
  let context;
  const cleanup = async () => {
    await context?.close().catch(() => {});
    await stat.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...extraArgs], headless: true, timeout: 20000,
    });
    await context.grantPermissions(['camera', 'microphone']);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const rooms = [];
  let blankTab = context.pages()[0] ?? null;
  return {
    context,
    rooms,
    async openRoom(label = `tab${rooms.length}`) {
      const page = blankTab ?? await context.newPage();
      blankTab = null;
      const r = new BrowserRoom(page, label);
      rooms.push(r);
      await page.goto(`http://localhost:${stat.port}/`, { timeout: 10000 });
      return r;
    },
    /** Console lines of every tab, for failure messages. */
    consoleText() {
      return rooms.map((r) => `--- ${r.label} console ---\n${r.consoleLines.slice(-80).join('\n')}`).join('\n');
    },
    close: cleanup,
  };
}

export class BrowserRoom {
  constructor(page, label) {
    this.page = page;
    this.label = label;
    this.consoleLines = [];
    page.on('console', (m) => this.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`pageerror: ${e.message}`));
  }

  /** Starts room.connect(url, token); wait for it with waitFor('connected'). */
  async connect(url, token, { logLevel = 'warn' } = {}) {
    await this.page.evaluate(([u, t, l]) => window.lkConnect(u, t, l), [url, token, logLevel]);
  }

  events() {
    return this.page.evaluate(() => window.__events);
  }

  /**
   * Waits until an event matches pred (a type name or a predicate over the event object run in
   * Node) and returns it. Fails at once when an ERROR_EVENTS event appears (minus ignoreErrors)
   * and when timeoutMs passes.
   */
  async waitFor(pred, timeoutMs, what, opts) {
    const fn = typeof pred === 'string' ? (e) => e.type === pred : pred;
    return this.waitUntil((events) => events.find(fn), timeoutMs, what, opts);
  }

  /**
   * Waits until check(events) returns a truthy value and returns that value; same failure rules
   * as waitFor.
   */
  async waitUntil(check, timeoutMs, what, { ignoreErrors = [] } = {}) {
    const errTypes = ERROR_EVENTS.filter((t) => !ignoreErrors.includes(t));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = await this.events();
      const hit = check(events);
      if (hit) return hit;
      const bad = events.find((e) => errTypes.includes(e.type));
      if (bad) throw new Error(`${this.label}: ${bad.type} while waiting for ${what}: ${JSON.stringify(bad)}\nevents: ${summarize(events)}`);
      if (Date.now() >= deadline) throw new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}\nevents: ${summarize(events)}`);
      // returns as soon as a new event lands in the page, or after 250 ms
      await this.page.waitForFunction((k) => window.__events.length > k, events.length,
        { timeout: Math.max(1, Math.min(250, deadline - Date.now())), polling: 20 }).catch(() => {});
    }
  }

  /**
   * Waits until the Room knows `identity` as a remote participant: listed at connect time
   * (livekit-client fires ParticipantConnected only for later arrivals) or arrived since.
   */
  waitRemote(identity, timeoutMs) {
    return this.waitFor((e) => (e.type === 'connected' && e.remotes.includes(identity))
      || (e.type === 'participantConnected' && e.identity === identity), timeoutMs, `remote participant ${identity}`);
  }

  /** Data events received so far, optionally filtered. */
  async dataEvents(filter = () => true) {
    return (await this.events()).filter((e) => e.type === 'data' && filter(e));
  }

  /**
   * publishData; resolves once the SDK accepted it. opts: {reliable, topic,
   * destinationIdentities}.
   */
  async publish(bytes, opts = {}) {
    const before = (await this.events()).filter((e) => e.type === 'published' || e.type === 'publishError').length;
    await this.page.evaluate(([b, o]) => window.lkPublish(b, o), [Buffer.from(bytes).toString('base64'), opts]);
    const evs = (await this.events()).filter((e) => e.type === 'published' || e.type === 'publishError');
    const last = evs[before];
    if (!last || last.type === 'publishError') throw new Error(`${this.label}: publishData failed: ${JSON.stringify(last)}`);
  }

  diagnose() {
    return this.page.evaluate(() => window.lkDiagnose()).catch((err) => ({ diagnoseError: String(err) }));
  }

  disconnect() {
    return this.page.evaluate(() => window.lkDisconnect()).catch(() => {});
  }
}

function summarize(events) {
  return JSON.stringify(events.map((e) => (e.type === 'data' ? { type: 'data', identity: e.identity, topic: e.topic, kind: e.kind, len: e.data.length } : e))).slice(0, 4000);
}
