// Resource caps (docs/SECURITY.md, "Limits and their defaults"): for each cap, one more than
// allowed is refused with the documented answer, the refusal is counted in
// dcsfu_limit_exceeded_total{limit="<config key>"}, and a good client keeps being served.
// Caps that need a configuration of their own (rooms per node, connections, connection rate,
// DTLS handshakes) start a server of their own. The data message size and the reliable queue per
// receiver are covered by unit tests (test_sctp.c, test_sctpc.c, test_rm_data.c).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { RoomServiceClient } from 'livekit-server-sdk';
import {
  ParticipantInfo_State, RequestResponse_Reason, SessionDescription, SignalRequest,
  UpdateParticipantMetadata,
} from '@livekit/protocol';

import {
  API_KEY, API_SECRET, REPO_ROOT, assertClientHealthy, defaultJoinRequest, delay, expectRefusal,
  freeTcpPort, httpGet, joinRoom, makeServiceToken, makeToken, openSignal, randomIdentity, randomRoom, rawTcp,
  statusOf, twirpRaw, useServer, validateUrl, withDeadline, withServer,
} from './helpers.mjs';

const LIMITS = {
  max_metadata_size: 64,
  max_attributes_size: 64,
  max_room_name_length: 40,
  max_participant_identity_length: 40,
  max_participant_name_length: 16,
  signal_message_size_limit: 4096,
  max_api_request_body_size: 4096,
  max_http_header_size: 4096,
};
const metricsPort = await freeTcpPort();
const { test } = useServer({
  label: 'caps',
  config: { limit: LIMITS, room: { max_participants: 2 }, prometheus: { port: metricsPort } },
});

const CHROMIUM_OFFER = fs.readFileSync(path.join(REPO_ROOT, 'tests/integration/fixtures/chromium-publisher-offer.sdp'), 'utf8');

// ---------------------------------------------------------------------------------------------
// metrics

async function scrape(port = metricsPort) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of the sample `name` whose labels include `labels` (undefined if none). */
function metric(text, name, labels = {}) {
  for (const line of text.split('\n')) {
    const m = /^([^{\s#]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const hits = (text, key) => {
  const v = metric(text, 'dcsfu_limit_exceeded_total', { limit: key });
  assert.notEqual(v, undefined, `dcsfu_limit_exceeded_total{limit="${key}"} is exported`);
  return v;
};

/** Runs fn and checks that it moved the counter of cap `key` by exactly n. */
async function counted(key, n, fn, port = metricsPort) {
  const before = hits(await scrape(port), key);
  const result = await fn();
  const after = hits(await scrape(port), key);
  assert.equal(after - before, n, `dcsfu_limit_exceeded_total{limit="${key}"} moved by ${after - before}, expected ${n}`);
  return result;
}

/** Runs fn(room, good) with a good participant in its own room, then checks it is still served. */
async function withGoodClient(srv, fn) {
  const room = randomRoom('caps');
  const good = await joinRoom(srv, { room, identity: randomIdentity('good') });
  try {
    await fn(room, good);
    await assertClientHealthy(srv, good, room);
  } finally {
    good.close();
  }
}

let reqId = 0;
async function updateMetadata(client, fields) {
  const requestId = ++reqId;
  client.send('updateMetadata', new UpdateParticipantMetadata({ requestId, ...fields }));
  const m = await client.next((x) => x.message.case === 'requestResponse' && x.message.value.requestId === requestId, 5000, `RequestResponse ${requestId}`);
  return m.message.value;
}

async function assertTwirpError(promise, code, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `Twirp code (message: ${err.message})`);
    assert.equal(err.status, status, 'HTTP status');
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// caps with the shared server

test('room.max_participants: one more gets 429 "room has exceeded its max participants"', async (srv) => {
  const room = randomRoom('full');
  const a = await joinRoom(srv, { room, identity: randomIdentity('a') });
  const b = await joinRoom(srv, { room, identity: randomIdentity('b') });
  try {
    const token = await makeToken({ identity: randomIdentity('c'), room });
    const r = await counted('room.max_participants', 1, () => openSignal({ url: srv.wsUrl, token }));
    if (r.ok) r.client.close();
    assert.equal(r.status, 429);
    assert.equal(r.body.trim(), 'room has exceeded its max participants');
    // /rtc/validate gives the same answer and is not counted
    const v = await counted('room.max_participants', 0, () => httpGet(validateUrl({ url: srv.wsUrl, token })));
    assert.equal(v.status, 429);
    await a.ping();
    await b.ping();
    // a place frees up when someone leaves
    b.leave();
    await a.nextParticipant((p) => p.identity === b.identity && p.state === ParticipantInfo_State.DISCONNECTED, 5000, 'b leaves');
    const d = await joinRoom(srv, { room, identity: randomIdentity('d') });
    d.close();
  } finally {
    a.close();
    b.close();
  }
});

test('identity, name, metadata, room name and attributes over their caps get 400 at the join', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const cases = [
      { key: 'limit.max_participant_identity_length', tok: { identity: 'i'.repeat(LIMITS.max_participant_identity_length + 1), room }, body: /^identity length exceeds limits: max length 40$/ },
      { key: 'limit.max_participant_name_length', tok: { name: 'n'.repeat(LIMITS.max_participant_name_length + 1) }, body: /^name length exceeds limits: max length 16$/ },
      { key: 'limit.max_metadata_size', tok: { metadata: 'm'.repeat(LIMITS.max_metadata_size + 1) }, body: /^metadata length exceeds limits: max length 64$/ },
      { key: 'limit.max_room_name_length', tok: { room: 'r'.repeat(LIMITS.max_room_name_length + 1) }, body: /^room name length exceeds limits: max length 40$/ },
      // key + value bytes: 1 + 64
      { key: 'limit.max_attributes_size', tok: { attributes: { k: 'v'.repeat(LIMITS.max_attributes_size) } }, body: /^attributes size exceeds limits: max size 64$/ },
      // the same caps apply to what a JoinRequest sets (with the grant to set it)
      { key: 'limit.max_metadata_size', tok: { grant: { canUpdateOwnMetadata: true } }, jr: { metadata: 'm'.repeat(LIMITS.max_metadata_size + 1) }, body: /^metadata length exceeds limits/ },
      { key: 'limit.max_attributes_size', tok: { attributes: { a: 'x'.repeat(40) }, grant: { canUpdateOwnMetadata: true } }, jr: { participantAttributes: { b: 'y'.repeat(40) } }, body: /^attributes size exceeds limits/ },
    ];
    for (const c of cases) {
      const token = await makeToken({ identity: randomIdentity(), room, ...c.tok });
      const joinRequest = c.jr ? defaultJoinRequest(c.jr) : undefined;
      const r = await counted(c.key, 1, () => expectRefusal({ url: srv.wsUrl, token, joinRequest }));
      assert.equal(r.kind, 'http', `${c.key}: refused before the upgrade`);
      assert.equal(r.status, 400, `${c.key}: status (${r.body})`);
      assert.match(r.body.trim(), c.body, c.key);
    }
    // exactly at the caps: admitted
    const ok = await joinRoom(srv, {
      room: randomRoom('at'), identity: 'i'.repeat(LIMITS.max_participant_identity_length), name: 'n'.repeat(LIMITS.max_participant_name_length),
      metadata: 'm'.repeat(LIMITS.max_metadata_size), attributes: { k: 'v'.repeat(LIMITS.max_attributes_size - 1) },
    });
    ok.close();
  });
});

test('updates over the metadata, name and attributes caps are refused and counted; RoomService too', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const p = await joinRoom(srv, { room: randomRoom('upd'), grant: { canUpdateOwnMetadata: true } });
    const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET, { requestTimeout: 5 });
    try {
      const over = [
        ['limit.max_metadata_size', { metadata: 'x'.repeat(LIMITS.max_metadata_size + 1) }],
        ['limit.max_participant_name_length', { name: 'n'.repeat(LIMITS.max_participant_name_length + 1) }],
        ['limit.max_attributes_size', { attributes: { big: 'y'.repeat(LIMITS.max_attributes_size) } }],
      ];
      for (const [key, fields] of over) {
        const rr = await counted(key, 1, () => updateMetadata(p, fields));
        assert.equal(rr.reason, RequestResponse_Reason.LIMIT_EXCEEDED, key);
      }
      const ok = await updateMetadata(p, { metadata: 'x'.repeat(LIMITS.max_metadata_size) });
      assert.equal(ok.reason, RequestResponse_Reason.OK);
      const pRoom = p.join.room.name;
      await counted('limit.max_metadata_size', 1, () => assertTwirpError(
        svc.updateParticipant(pRoom, p.identity, { metadata: 'z'.repeat(LIMITS.max_metadata_size + 1) }), 'invalid_argument', 400));
      await counted('limit.max_metadata_size', 1, () => assertTwirpError(
        svc.updateRoomMetadata(pRoom, 'z'.repeat(LIMITS.max_metadata_size + 1)), 'invalid_argument', 400));
      await counted('limit.max_room_name_length', 1, () => assertTwirpError(
        svc.createRoom({ name: 'r'.repeat(LIMITS.max_room_name_length + 1) }), 'invalid_argument', 400));
      await p.ping();
    } finally {
      p.close();
    }
  });
});

/** A SignalRequest (updateMetadata) of exactly `size` bytes. */
function signalRequestOfSize(size) {
  const make = (n) => new SignalRequest({ message: { case: 'updateMetadata', value: new UpdateParticipantMetadata({ requestId: 999999, metadata: 'x'.repeat(n) }) } }).toBinary();
  let n = size - 16;
  for (let i = 0; i < 5; i++) n += size - make(n).length;
  const bytes = make(n);
  assert.equal(bytes.length, size);
  return bytes;
}

test('limit.signal_message_size_limit: a message one byte over closes that connection with 1009', async (srv) => {
  await withGoodClient(srv, async () => {
    const c = await joinRoom(srv, { room: randomRoom('big'), identity: randomIdentity('big') });
    try {
      // exactly at the cap: read (and answered: its metadata is over its own cap)
      c.sendRaw(signalRequestOfSize(LIMITS.signal_message_size_limit));
      const rr = await c.next((x) => x.message.case === 'requestResponse' && x.message.value.requestId === 999999, 5000, 'answer to the message at the cap');
      assert.equal(rr.message.value.reason, RequestResponse_Reason.NOT_ALLOWED);
      const ci = await counted('limit.signal_message_size_limit', 1, async () => {
        c.sendRaw(signalRequestOfSize(LIMITS.signal_message_size_limit + 1));
        return c.waitClose();
      });
      assert.equal(ci.code, 1009);
      // a join_request that inflates to more than the cap (small on the wire: gzip)
      const token = await makeToken({ identity: randomIdentity(), room: randomRoom('jr') });
      const r = await counted('limit.signal_message_size_limit', 1, () => openSignal({
        url: srv.wsUrl, token, joinRequest: defaultJoinRequest({ metadata: 'x'.repeat(LIMITS.signal_message_size_limit) }),
      }));
      if (r.ok) r.client.close();
      assert.equal(r.status, 400);
      assert.equal(r.body.trim(), 'join request too large');
    } finally {
      c.close();
    }
  });
});

test('limit.max_http_header_size: a request head one byte over gets 431', async (srv) => {
  await withGoodClient(srv, async () => {
    const head = (size) => {
      const start = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ';
      return `${start}${'p'.repeat(size - start.length - 4)}\r\n\r\n`;
    };
    assert.equal(head(LIMITS.max_http_header_size).length, LIMITS.max_http_header_size);
    const at = await rawTcp(srv.port, head(LIMITS.max_http_header_size));
    assert.equal(statusOf(at.text), 200, `at the cap: ${at.text.slice(0, 100)}`);
    const over = await counted('limit.max_http_header_size', 1, () => rawTcp(srv.port, head(LIMITS.max_http_header_size + 1)));
    assert.equal(statusOf(over.text), 431, `over the cap: ${over.text.slice(0, 100)}`);
    assert.match(over.text, /request header fields too large/);
  });
});

test('limit.max_api_request_body_size: a body one byte over gets 413', async (srv) => {
  await withGoodClient(srv, async () => {
    const token = await makeServiceToken({ roomList: true });
    const body = (size) => `{"names":["${'n'.repeat(size - 14)}"]}`;
    assert.equal(body(LIMITS.max_api_request_body_size).length, LIMITS.max_api_request_body_size);
    const at = await twirpRaw(srv, 'ListRooms', body(LIMITS.max_api_request_body_size), { token });
    assert.equal(at.status, 200, at.text);
    // announced over the cap: answered from the head, before any of the body is read
    const req = `POST /twirp/livekit.RoomService/ListRooms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${LIMITS.max_api_request_body_size + 1}\r\n\r\n`;
    const over = await counted('limit.max_api_request_body_size', 1, () => rawTcp(srv.port, req));
    assert.equal(statusOf(over.text), 413, over.text.slice(0, 100));
  });
});

// ---------------------------------------------------------------------------------------------
// caps with a server of their own

test('limit.max_rooms: a join or CreateRoom that would open one more room is refused', { timeout: 60000 }, async () => {
  const port = await freeTcpPort();
  const config = { limit: { max_rooms: 2 }, room: { departure_timeout: 1 }, prometheus: { port } };
  await withServer({ label: 'caps-rooms', config }, async (srv) => {
    const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET, { requestTimeout: 5 });
    const [r1, r2, r3] = [randomRoom('one'), randomRoom('two'), randomRoom('three')];
    const a = await joinRoom(srv, { room: r1, identity: randomIdentity('a') });
    const b = await joinRoom(srv, { room: r2, identity: randomIdentity('b') });
    try {
      const token = await makeToken({ identity: randomIdentity('c'), room: r3 });
      const r = await counted('limit.max_rooms', 1, () => openSignal({ url: srv.wsUrl, token }), port);
      if (r.ok) r.client.close();
      assert.equal(r.status, 429);
      assert.equal(r.body.trim(), 'node has exceeded its max rooms');
      await counted('limit.max_rooms', 1, () => assertTwirpError(svc.createRoom({ name: r3 }), 'resource_exhausted', 429), port);
      // rooms that exist are not affected: CreateRoom returns them, joins go in
      assert.equal((await svc.createRoom({ name: r1 })).name, r1);
      await assertClientHealthy(srv, a, r1);
      assert.equal(metric(await scrape(port), 'livekit_room_total'), 2);
      // once a room closes, a new one may open
      b.leave();
      await a.ping();
      const deadline = Date.now() + 10000;
      while (metric(await scrape(port), 'livekit_room_total') !== 1) {
        assert.ok(Date.now() < deadline, 'room two closes after its departure timeout');
        await delay(100);
      }
      const c = await joinRoom(srv, { room: r3, identity: randomIdentity('c') });
      c.close();
    } finally {
      a.close();
      b.close();
    }
  });
});

/** An HTTP/1.1 keep-alive connection that sent GET / and got its answer; resolves {status, text, sock}. */
function keepAliveGet(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no answer to GET / (got ${JSON.stringify(text)})`)); }, 5000);
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    sock.on('data', (d) => {
      text += d.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const m = /content-length:\s*(\d+)/i.exec(text);
      if (head >= 0 && m && text.length - head - 4 >= Number(m[1])) {
        clearTimeout(timer);
        const ended = new Promise((r) => { sock.once('end', () => r('end')); sock.once('close', () => r('close')); });
        resolve({ status: statusOf(text), text, sock, ended });
      }
    });
    sock.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

test('limit.max_signal_connections: one more connection gets 503 and is closed', { timeout: 60000 }, async () => {
  const port = await freeTcpPort();
  const MAX = 4;
  const config = { limit: { max_signal_connections: MAX, max_connections_per_ip_per_second: 0 }, prometheus: { port } };
  await withServer({ label: 'caps-conns', config }, async (srv) => {
    const room = randomRoom('conns');
    const good = await joinRoom(srv, { room, identity: randomIdentity('good') });
    const held = [];
    try {
      // fill the remaining places (the readiness check may still hold one) until one is refused
      const before = hits(await scrape(port), 'limit.max_signal_connections');
      let refused;
      for (let i = 0; i < MAX + 1 && !refused; i++) {
        const r = await keepAliveGet(srv.port);
        if (r.status === 200) held.push(r.sock);
        else refused = r;
      }
      assert.ok(refused, 'a connection beyond the cap is refused');
      assert.equal(refused.status, 503, refused.text);
      assert.match(refused.text, /\r\nRetry-After: 1\r\n/i);
      assert.match(refused.text, /\r\nConnection: close\r\n/i);
      assert.match(refused.text, /server has too many connections$/);
      await withDeadline(refused.ended, 3000, 'the refused connection to be closed');
      const after = await scrape(port);
      assert.equal(hits(after, 'limit.max_signal_connections') - before, 1);
      assert.ok(held.length >= MAX - 2, `held ${held.length}`);
      // the good client and the held ones (and perhaps the readiness check's connection)
      const open = metric(after, 'dcsfu_signal_connections');
      assert.ok(open >= held.length + 1 && open <= MAX, `dcsfu_signal_connections ${open}`);
      // the connections inside the cap are served
      await good.ping();
      const again = await new Promise((resolve, reject) => {
        held[0].once('data', (d) => resolve(d.toString('latin1')));
        held[0].once('error', reject);
        held[0].write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
      assert.equal(statusOf(again), 200);
      // a place frees up when a connection closes
      held.shift().destroy();
      const deadline = Date.now() + 5000;
      for (;;) {
        const r = await keepAliveGet(srv.port);
        if (r.status === 200) { held.push(r.sock); break; }
        assert.ok(Date.now() < deadline, 'a new connection is admitted once one closed');
        await delay(50);
      }
      await good.ping();
    } finally {
      for (const s of held) s.destroy();
      good.close();
    }
  });
});

test('limit.max_connections_per_ip_per_second: a burst beyond the rate gets 429', { timeout: 60000 }, async () => {
  const port = await freeTcpPort();
  const RATE = 5;
  const config = { limit: { max_connections_per_ip_per_second: RATE }, prometheus: { port } };
  await withServer({ label: 'caps-rate', config }, async (srv) => {
    await delay(1100); // the readiness checks' tokens come back
    const room = randomRoom('rate');
    const good = await joinRoom(srv, { room, identity: randomIdentity('good') });
    try {
      const get = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
      const before = hits(await scrape(port), 'limit.max_connections_per_ip_per_second');
      const answers = await Promise.all(Array.from({ length: 3 * RATE }, () => rawTcp(srv.port, get)));
      const statuses = answers.map((a) => statusOf(a.text));
      const refused = answers.filter((a) => statusOf(a.text) === 429);
      const served = statuses.filter((s) => s === 200).length;
      assert.equal(refused.length + served, 3 * RATE, `statuses ${statuses}`);
      assert.ok(served >= 1 && served <= RATE + 1, `served ${served} of a burst of ${3 * RATE} (${statuses})`);
      assert.match(refused[0].text, /\r\nRetry-After: 1\r\n/i);
      assert.match(refused[0].text, /too many connections from this address$/);
      assert.equal(hits(await scrape(port), 'limit.max_connections_per_ip_per_second') - before, refused.length);
      // connections already open are not affected; after a second new ones are admitted again
      await good.ping();
      await delay(1100);
      await assertClientHealthy(srv, good, room);
    } finally {
      good.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// rtc.max_pending_handshakes, with a hand-made ICE client that never answers DTLS

/** An authenticated STUN Binding request with USE-CANDIDATE (RFC 8445 7.1.2), as a controlling agent sends it. */
function stunBindingRequest(username, password) {
  const attr = (type, value) => {
    const b = Buffer.alloc(4 + value.length + ((4 - (value.length % 4)) % 4));
    b.writeUInt16BE(type, 0);
    b.writeUInt16BE(value.length, 2);
    value.copy(b, 4);
    return b;
  };
  const txid = crypto.randomBytes(12);
  const header = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(0x2112a442, 4);
    txid.copy(h, 8);
    return h;
  };
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff);
  let body = Buffer.concat([
    attr(0x0006, Buffer.from(username)), attr(0x0024, priority),
    attr(0x802a, crypto.randomBytes(8)), attr(0x0025, Buffer.alloc(0)),
  ]);
  const mi = crypto.createHmac('sha1', password).update(Buffer.concat([header(body.length + 24), body])).digest();
  body = Buffer.concat([body, attr(0x0008, mi)]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((zlib.crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0);
  body = Buffer.concat([body, attr(0x8028, fp)]);
  return Buffer.concat([header(body.length), body]);
}

const sdpLine = (sdp, name) => new RegExp(`^a=${name}:(.+)$`, 'm').exec(sdp)?.[1].trim();

/**
 * Joins with a publisher offer, then completes ICE from a UDP socket of its own and records what
 * the server sends there: `dtls` resolves with the first DTLS record (the server's ClientHello).
 */
async function iceOnlyClient(srv, room) {
  const client = await joinRoom(srv, {
    room, identity: randomIdentity('ice'),
    joinRequest: defaultJoinRequest({ publisherOffer: new SessionDescription({ type: 'offer', sdp: CHROMIUM_OFFER, id: 1 }) }),
  });
  const answer = (await client.next('answer', 5000)).message.value.sdp;
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const got = { stunOk: 0, dtls: 0 };
  let onDtls;
  const dtls = new Promise((r) => { onDtls = r; });
  let onStun;
  const stunOk = new Promise((r) => { onStun = r; });
  sock.on('message', (d) => {
    if (d.length >= 20 && d.readUInt16BE(0) === 0x0101) { got.stunOk++; onStun(); }
    else if (d[0] >= 20 && d[0] <= 63) { got.dtls++; onDtls(d); }
  });
  const username = `${sdpLine(answer, 'ice-ufrag')}:${sdpLine(CHROMIUM_OFFER, 'ice-ufrag')}`;
  const check = () => sock.send(stunBindingRequest(username, sdpLine(answer, 'ice-pwd')), srv.udpPort, '127.0.0.1');
  check();
  const timer = setInterval(check, 500);
  await withDeadline(stunOk, 5000, 'a STUN success response');
  return {
    client, got, dtls,
    close() { clearInterval(timer); sock.close(); client.close(); },
  };
}

test('rtc.max_pending_handshakes: one more handshake waits until a slot frees', { timeout: 60000 }, async () => {
  const port = await freeTcpPort();
  const config = { rtc: { max_pending_handshakes: 1 }, prometheus: { port } };
  await withServer({ label: 'caps-dtls', config }, async (srv) => {
    const room = randomRoom('dtls');
    const observer = await joinRoom(srv, { room, identity: randomIdentity('observer') });
    const before = hits(await scrape(port), 'rtc.max_pending_handshakes');
    const a = await iceOnlyClient(srv, room);
    let b;
    try {
      // A's handshake starts (and stalls: A never answers), holding the only slot
      const hello = await withDeadline(a.dtls, 5000, "the server's ClientHello to A");
      assert.equal(hello[0], 22, 'a DTLS handshake record');
      b = await iceOnlyClient(srv, room);
      // B's ICE is answered, its handshake held back, and that is counted once
      await delay(1500);
      assert.ok(b.got.stunOk >= 2, 'B keeps getting STUN answers');
      assert.equal(b.got.dtls, 0, 'no ClientHello to B while the slot is taken');
      let m = await scrape(port);
      assert.equal(hits(m, 'rtc.max_pending_handshakes') - before, 1);
      assert.equal(metric(m, 'dcsfu_dtls_handshakes_pending'), 1);
      assert.equal(metric(m, 'dcsfu_dtls_handshakes_waiting'), 1);
      await observer.ping();
      // A goes away: B's handshake starts
      a.client.leave();
      const helloB = await withDeadline(b.dtls, 3000, "the server's ClientHello to B once A left");
      assert.equal(helloB[0], 22);
      m = await scrape(port);
      assert.equal(metric(m, 'dcsfu_dtls_handshakes_pending'), 1);
      assert.equal(metric(m, 'dcsfu_dtls_handshakes_waiting'), 0);
      assert.equal(hits(m, 'rtc.max_pending_handshakes') - before, 1);
      await assertClientHealthy(srv, observer, room);
    } finally {
      a.close();
      b?.close();
      observer.close();
    }
  });
});
