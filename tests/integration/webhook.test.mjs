// Webhooks: the server posts LiveKit WebhookEvents to webhook.urls, signed so that
// livekit-server-sdk's WebhookReceiver accepts them (JWT in Authorization without "Bearer ",
// sha256 claim of the body). Each test runs a server of its own with a receiver in the test. The
// rtc-node parts need the network namespace of scripts/test-integration.sh (DCSFU_NODE_IP).

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { WebhookReceiver } from 'livekit-server-sdk';

import {
  API_KEY, API_SECRET, SID_RE, delay, freeTcpPort, joinRoom, randomIdentity, randomRoom, withDeadline,
  withServer,
} from './helpers.mjs';
import { withAgents } from './agent.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const rtcConfig = nodeIp ? { rtc: { node_ip: nodeIp } } : {};
const EV_RE = /^EV_[A-Za-z0-9]{12}$/;

/** An HTTP server collecting verified webhook events; `failures` holds anything that did not verify. */
async function startReceiver() {
  const receiver = new WebhookReceiver(API_KEY, API_SECRET);
  const rx = { events: [], failures: [], waiters: [] };
  rx.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        assert.equal(req.method, 'POST');
        assert.equal(req.url, '/hook');
        assert.equal(req.headers['content-type'], 'application/webhook+json');
        assert.equal(req.headers['user-agent'], 'LiveKit');
        assert.ok(!req.headers.authorization.startsWith('Bearer '), req.headers.authorization);
        const ev = await receiver.receive(body, req.headers.authorization);
        rx.events.push({ ev, raw: JSON.parse(body) });
      } catch (err) {
        rx.failures.push(`${err.message}: ${body}`);
      }
      res.end('ok');
      for (const w of rx.waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => rx.server.listen(0, '127.0.0.1', resolve));
  rx.url = `http://127.0.0.1:${rx.server.address().port}/hook`;
  rx.find = (event, pred = () => true) => rx.events.find((e) => e.ev.event === event && pred(e.ev));
  rx.wait = async (event, pred, ms, what) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const e = rx.find(event, pred);
      if (e) return e;
      assert.deepEqual(rx.failures, [], 'webhook posts that did not verify');
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no ${what ?? event} webhook within ${ms} ms; got ${JSON.stringify(rx.events.map((x) => x.raw))}`);
      await Promise.race([new Promise((r) => rx.waiters.push(r)), delay(Math.min(left, 200))]);
    }
  };
  rx.close = () => new Promise((resolve) => rx.server.close(resolve));
  return rx;
}

function hookConfig(urls) {
  return { ...rtcConfig, webhook: { api_key: API_KEY, urls }, room: { departure_timeout: 1 } };
}

test('room and participant lifecycle of an rtc-node agent', { timeout: 60000 }, async () => {
  const rx = await startReceiver();
  try {
    await withServer({ config: hookConfig([rx.url]) }, async (srv) => {
      const room = randomRoom('wh');
      const byRoom = (ev) => ev.room?.name === room;
      await withAgents(srv, [{ identity: 'A', room }], async () => {
        const started = await rx.wait('room_started', byRoom, 10000);
        assert.match(started.ev.id, EV_RE);
        assert.match(started.ev.room.sid, SID_RE.room);
        assert.ok(Math.abs(Number(started.ev.createdAt) - Date.now() / 1000) < 60, `createdAt ${started.ev.createdAt}`);
        assert.equal(started.raw.participant, undefined);
        const joined = await rx.wait('participant_joined', (ev) => byRoom(ev) && ev.participant?.identity === 'A', 10000);
        assert.match(joined.ev.participant.sid, SID_RE.participant);
        assert.equal(joined.raw.participant.state, 'ACTIVE');
      });
      const left = await rx.wait('participant_left', (ev) => byRoom(ev) && ev.participant?.identity === 'A', 10000);
      assert.equal(left.raw.participant.state, 'DISCONNECTED');
      await rx.wait('room_finished', byRoom, 10000);
      assert.equal(rx.find('participant_connection_aborted', byRoom), undefined);
      const ids = rx.events.map((e) => e.ev.id);
      assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
      assert.deepEqual(rx.failures, []);
    });
  } finally {
    await rx.close();
  }
});

test('a signaling-only participant that leaves is participant_connection_aborted', { timeout: 30000 }, async () => {
  const rx = await startReceiver();
  try {
    await withServer({ config: hookConfig([rx.url]) }, async (srv) => {
      const room = randomRoom('wh');
      const identity = randomIdentity('sig');
      const c = await joinRoom(srv, { room, identity });
      await rx.wait('room_started', (ev) => ev.room?.name === room, 10000);
      c.leave();
      await c.waitClose().catch(() => {});
      c.close();
      const ab = await rx.wait('participant_connection_aborted',
        (ev) => ev.room?.name === room && ev.participant?.identity === identity, 10000);
      assert.equal(ab.ev.participant.sid, c.join.participant.sid);
      await rx.wait('room_finished', (ev) => ev.room?.name === room, 10000);
      assert.equal(rx.find('participant_joined'), undefined);
      assert.equal(rx.find('participant_left'), undefined);
    });
  } finally {
    await rx.close();
  }
});

/** The samples of the dcsfu_webhook_* families from a scrape, keyed by `name{labels}`. */
async function webhookMetrics(port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(dcsfu_webhook_\S+) (\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

test('a dead receiver delays nothing and the server still stops cleanly', { timeout: 30000 }, async () => {
  const deadPort = await freeTcpPort();
  const metricsPort = await freeTcpPort();
  const rx = await startReceiver();
  try {
    // one dead URL and one live one: the live one still gets everything
    const config = { ...hookConfig([`http://127.0.0.1:${deadPort}/hook`, rx.url]), prometheus: { port: metricsPort } };
    await withServer({ config }, async (srv) => {
      const m0 = await webhookMetrics(metricsPort);
      assert.deepEqual(m0, {
        dcsfu_webhook_events_total: 0,
        'dcsfu_webhook_requests_total{result="delivered"}': 0,
        'dcsfu_webhook_requests_total{result="failed"}': 0,
        'dcsfu_webhook_requests_total{result="dropped"}': 0,
        dcsfu_webhook_retries_total: 0,
        dcsfu_webhook_pending: 0,
      });
      for (let i = 0; i < 5; i++) {
        const room = randomRoom('dead');
        const t0 = Date.now();
        const c = await withDeadline(joinRoom(srv, { room }), 2000, 'join with a dead webhook receiver');
        assert.ok(Date.now() - t0 < 2000);
        c.close();
        await rx.wait('participant_connection_aborted', (ev) => ev.room?.name === room, 10000);
      }
      // the counters move: every event is queued once per URL, the live URL's are delivered,
      // the dead URL's are retried and, after the last attempt, given up on
      const delivered = rx.events.length;
      const deadline = Date.now() + 10000;
      let m;
      for (;;) {
        m = await webhookMetrics(metricsPort);
        if (m['dcsfu_webhook_requests_total{result="failed"}'] >= 1) break;
        assert.ok(Date.now() < deadline, `no failed webhook counted: ${JSON.stringify(m)}`);
        await delay(200);
      }
      assert.ok(m.dcsfu_webhook_events_total >= 2 * delivered, JSON.stringify(m));
      assert.ok(m['dcsfu_webhook_requests_total{result="delivered"}'] >= delivered, JSON.stringify(m));
      assert.ok(m.dcsfu_webhook_retries_total >= 2, JSON.stringify(m));
      assert.ok(m.dcsfu_webhook_pending >= 1, JSON.stringify(m));
      assert.equal(m['dcsfu_webhook_requests_total{result="dropped"}'], 0);
    });
  } finally {
    await rx.close();
  }
});
