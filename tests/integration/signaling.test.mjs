// Signalling over WebSocket with the small test client: join, participant updates, keepalive,
// metadata updates, duplicate identities, v0 and v1 paths, room limits and HTTP endpoints.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RoomServiceClient } from 'livekit-server-sdk';
import {
  ClientInfo,
  ClientInfo_Capability,
  ClientInfo_SDK,
  DisconnectReason,
  LeaveRequest_Action,
  ParticipantInfo_State,
  RequestResponse_Reason,
  SessionDescription,
  UpdateParticipantMetadata,
} from '@livekit/protocol';

import {
  API_KEY, API_SECRET, REPO_ROOT, SID_RE, assertNearNowMs, connectSignal, defaultJoinRequest,
  expectRefusal, httpGet, joinRoom, jsV0Query, makeToken, randomIdentity, randomRoom,
  semverAtLeast, validateUrl, withServer, useServer,
} from './helpers.mjs';

const LIMITS = { max_metadata_size: 1024, max_attributes_size: 1024, max_participant_name_length: 64 };
const { test } = useServer({ label: 'signaling', config: { limit: LIMITS } });

// An initial publisher offer produced by Chromium 156 with livekit-client's v1 layout:
// 3 recvonly audio (mids 0-2), 3 recvonly video (3-5), the data section last (mid 6).
const CHROMIUM_OFFER = fs.readFileSync(path.join(REPO_ROOT, 'tests/integration/fixtures/chromium-publisher-offer.sdp'), 'utf8');

const isState = (identity, state) => (p) => p.identity === identity && p.state === state;

let reqId = 100;
function updateMetadata(client, fields) {
  const requestId = ++reqId;
  client.send('updateMetadata', new UpdateParticipantMetadata({ requestId, ...fields }));
  return requestId;
}
async function requestResponse(client, requestId) {
  const m = await client.next((x) => x.message.case === 'requestResponse' && x.message.value.requestId === requestId, 5000, `RequestResponse ${requestId}`);
  return m.message.value;
}

test('GET / answers 200', async (srv) => {
  const r = await httpGet(`${srv.httpUrl}/`);
  assert.equal(r.status, 200);
  assert.equal(r.body.trim(), 'OK');
});

test('validate endpoints answer 200 / 401 / 400 with Access-Control-Allow-Origin: *', async (srv) => {
  const room = randomRoom('validate');
  const token = await makeToken({ identity: randomIdentity(), room });
  const bad = await makeToken({ identity: randomIdentity(), room, secret: 'wrong-secret' });
  const cases = [
    { what: 'v0 good', url: validateUrl({ url: srv.wsUrl, token, v0Query: jsV0Query() }), status: 200 },
    { what: 'v1 good', url: validateUrl({ url: srv.wsUrl, token }), status: 200 },
    { what: 'v0 bad token', url: validateUrl({ url: srv.wsUrl, token: bad, v0Query: jsV0Query() }), status: 401 },
    { what: 'v1 bad token', url: validateUrl({ url: srv.wsUrl, token: bad }), status: 401 },
    { what: 'v1 without join_request', url: validateUrl({ url: srv.wsUrl, token, joinRequestParam: null }), status: 400 },
  ];
  for (const c of cases) {
    const r = await httpGet(c.url, { headers: { Origin: 'http://localhost:9999' } });
    assert.equal(r.status, c.status, `${c.what}: status (body ${JSON.stringify(r.body)})`);
    assert.equal(r.headers.get('access-control-allow-origin'), '*', `${c.what}: CORS header`);
    if (c.status === 200) assert.equal(r.body.trim(), 'success', `${c.what}: body`);
  }
  // validate with the token as a Bearer header, the way rtc-node asks
  const hdr = await httpGet(validateUrl({ url: srv.wsUrl, token, tokenIn: 'header' }), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(hdr.status, 200, hdr.body);
  // the upgrade path without an upgrade is not a page
  const plain = await httpGet(`${srv.httpUrl}/rtc?access_token=${token}`);
  assert.notEqual(plain.status, 200);
});

test('JoinResponse is the first frame and carries room, participant and server info', async (srv) => {
  const room = randomRoom('join');
  const identity = randomIdentity('alice');
  const t0 = Date.now();
  const c = await joinRoom(srv, {
    room, identity, name: 'Alice A.', metadata: 'token-meta', attributes: { color: 'blue', n: '1' },
    grant: { canUpdateOwnMetadata: true },
  });
  try {
    const j = c.join;
    assert.ok(Date.now() - t0 < 5000, 'JoinResponse within 5 s');
    assert.match(j.room.sid, SID_RE.room);
    assert.equal(j.room.name, room);
    const p = j.participant;
    assert.match(p.sid, SID_RE.participant);
    assert.equal(p.identity, identity);
    assert.equal(p.name, 'Alice A.');
    assert.equal(p.metadata, 'token-meta');
    assert.deepEqual({ ...p.attributes }, { color: 'blue', n: '1' });
    assert.ok([ParticipantInfo_State.JOINING, ParticipantInfo_State.JOINED].includes(p.state), `state ${ParticipantInfo_State[p.state]}`);
    assert.ok(p.permission, 'permission present');
    assert.equal(p.permission.canSubscribe, true);
    assert.equal(p.permission.canPublish, true);
    assert.equal(p.permission.canPublishData, true);
    assert.equal(p.permission.canUpdateMetadata, true);
    assert.equal(p.permission.hidden, false);
    assertNearNowMs(Number(p.joinedAt) * 1000, 'joinedAt (s)', 15000);
    assertNearNowMs(p.joinedAtMs, 'joinedAtMs');
    assert.equal(p.clientProtocol, 2);
    assert.deepEqual(p.capabilities, [ClientInfo_Capability.CAP_COMPRESSION_DEFLATE_RAW]);
    assert.ok(semverAtLeast(j.serverVersion, '1.8.0'), `serverVersion ${JSON.stringify(j.serverVersion)} is strict semver >= 1.8.0`);
    assert.ok(j.serverInfo, 'serverInfo present');
    assert.ok(semverAtLeast(j.serverInfo.version, '1.8.0'), `serverInfo.version ${JSON.stringify(j.serverInfo.version)} is strict semver >= 1.8.0`);
    assert.equal(j.serverInfo.protocol, 17);
    assert.equal(j.pingInterval, 5);
    assert.equal(j.pingTimeout, 15);
    assert.equal(j.subscriberPrimary, false);
    assert.deepEqual(j.otherParticipants, []);
    assert.deepEqual(c.decodeErrors, []);
    assert.deepEqual(c.textFrames, []);
  } finally {
    c.close();
  }
});

test('otherParticipants lists earlier joiners but not hidden ones; hidden joins are not announced', async (srv) => {
  const room = randomRoom('others');
  const first = await joinRoom(srv, { room, identity: randomIdentity('first') });
  const hidden = await joinRoom(srv, { room, identity: randomIdentity('hidden'), grant: { hidden: true } });
  const second = await joinRoom(srv, { room, identity: randomIdentity('second') });
  try {
    assert.deepEqual(first.join.otherParticipants, []);
    assert.equal(hidden.join.participant.permission.hidden, true);
    const others = second.join.otherParticipants.map((p) => p.identity);
    assert.deepEqual(others, [first.identity]);
    const o = second.join.otherParticipants[0];
    assert.equal(o.sid, first.join.participant.sid);
    assert.match(o.sid, SID_RE.participant);
    // the first participant hears about `second` but never about `hidden`
    await first.nextParticipant((p) => p.identity === second.identity, 5000, 'update for second');
    const leaked = first.messages.filter((m) => m.message.case === 'update' && m.message.value.participants.some((p) => p.identity === hidden.identity));
    assert.equal(leaked.length, 0, 'hidden participant announced');
  } finally {
    for (const c of [first, hidden, second]) c.close();
  }
});

test('others see JOINED on join and DISCONNECTED (CLIENT_INITIATED) after leave; versions increase', async (srv) => {
  const room = randomRoom('updates');
  const a = await joinRoom(srv, { room, identity: randomIdentity('a') });
  const b = await joinRoom(srv, { room, identity: randomIdentity('b') });
  try {
    const joined = await a.nextParticipant((p) => p.identity === b.identity && p.state !== ParticipantInfo_State.DISCONNECTED, 5000, 'update for b');
    assert.equal(joined.sid, b.join.participant.sid);
    assert.ok([ParticipantInfo_State.JOINED, ParticipantInfo_State.ACTIVE].includes(joined.state), `state ${ParticipantInfo_State[joined.state]}`);
    assert.equal(joined.clientProtocol, 2);
    b.leave();
    const gone = await a.nextParticipant(isState(b.identity, ParticipantInfo_State.DISCONNECTED), 5000, 'DISCONNECTED for b');
    assert.equal(gone.disconnectReason, DisconnectReason.CLIENT_INITIATED);
    assert.ok(gone.version > joined.version, 'DISCONNECTED version is higher');
    await b.waitClose(5000);
    assert.deepEqual(a.versionViolations, []);
    assert.deepEqual(b.versionViolations, []);
  } finally {
    a.close();
    b.close();
  }
});

test('ping -> pong (ms) and pingReq -> pongResp (timestamp echoed)', async (srv) => {
  const c = await joinRoom(srv, { room: randomRoom('ping') });
  try {
    const pong = await c.ping();
    assert.equal(typeof pong, 'bigint');
    assertNearNowMs(pong, 'pong');
    const ts = BigInt(Date.now() - 1234);
    const pr = await c.pingReq(ts);
    assert.equal(pr.lastPingTimestamp, ts);
    assertNearNowMs(pr.timestamp, 'pongResp.timestamp');
  } finally {
    c.close();
  }
});

test('updateMetadata with canUpdateOwnMetadata: OK, self update, update to others', async (srv) => {
  const room = randomRoom('meta');
  const p = await joinRoom(srv, { room, identity: randomIdentity('p'), grant: { canUpdateOwnMetadata: true } });
  const o = await joinRoom(srv, { room, identity: randomIdentity('o') });
  try {
    const rid = updateMetadata(p, { metadata: 'm2', name: 'Renamed' });
    const rr = await requestResponse(p, rid);
    assert.equal(rr.reason, RequestResponse_Reason.OK, `reason ${RequestResponse_Reason[rr.reason]} ${rr.message}`);
    const isNew = (x) => x.identity === p.identity && x.metadata === 'm2' && x.name === 'Renamed';
    const self = await p.nextParticipant(isNew, 5000, 'self update');
    const other = await o.nextParticipant(isNew, 5000, 'update to others');
    assert.ok(self.version > p.join.participant.version);
    assert.equal(other.version, self.version);
    assert.deepEqual(p.versionViolations, []);
    assert.deepEqual(o.versionViolations, []);
  } finally {
    p.close();
    o.close();
  }
});

test('updateMetadata attributes merge and an empty value deletes a key', async (srv) => {
  const room = randomRoom('attrs');
  const p = await joinRoom(srv, { room, identity: randomIdentity('p'), attributes: { a: '1', b: '2' }, grant: { canUpdateOwnMetadata: true } });
  const o = await joinRoom(srv, { room, identity: randomIdentity('o') });
  try {
    const rid = updateMetadata(p, { attributes: { b: '', c: '3' } });
    assert.equal((await requestResponse(p, rid)).reason, RequestResponse_Reason.OK);
    const want = { a: '1', c: '3' };
    const same = (x) => x.identity === p.identity && JSON.stringify(Object.entries(x.attributes).sort()) === JSON.stringify(Object.entries(want).sort());
    await p.nextParticipant(same, 5000, 'self update with merged attributes');
    const seen = await o.nextParticipant(same, 5000, 'others update with merged attributes');
    assert.equal(seen.metadata, '', 'metadata untouched');
  } finally {
    p.close();
    o.close();
  }
});

test('updateMetadata without the grant: NOT_ALLOWED and nothing changes', async (srv) => {
  const room = randomRoom('noallow');
  const p = await joinRoom(srv, { room, identity: randomIdentity('p'), metadata: 'orig' });
  try {
    assert.equal(p.join.participant.permission.canUpdateMetadata, false);
    const rid = updateMetadata(p, { metadata: 'hijack' });
    const rr = await requestResponse(p, rid);
    assert.equal(rr.reason, RequestResponse_Reason.NOT_ALLOWED);
    assert.equal(rr.request.case, 'updateMetadata');
    await p.ping();
    const changed = p.messages.filter((m) => m.message.case === 'update' && m.message.value.participants.some((x) => x.metadata === 'hijack'));
    assert.equal(changed.length, 0);
  } finally {
    p.close();
  }
});

test('updateMetadata over the limits: LIMIT_EXCEEDED', async (srv) => {
  const p = await joinRoom(srv, { room: randomRoom('limit'), grant: { canUpdateOwnMetadata: true } });
  try {
    const over = [
      { metadata: 'x'.repeat(LIMITS.max_metadata_size + 1) },
      { name: 'n'.repeat(LIMITS.max_participant_name_length + 1) },
      { attributes: { big: 'y'.repeat(LIMITS.max_attributes_size + 1) } },
    ];
    for (const fields of over) {
      const rid = updateMetadata(p, fields);
      const rr = await requestResponse(p, rid);
      assert.equal(rr.reason, RequestResponse_Reason.LIMIT_EXCEEDED, `${Object.keys(fields)[0]}: ${RequestResponse_Reason[rr.reason]}`);
    }
    await p.ping();
  } finally {
    p.close();
  }
});

test('metadata and attributes inside the JoinRequest apply with canUpdateOwnMetadata', async (srv) => {
  const room = randomRoom('jrmeta');
  const c = await joinRoom(srv, {
    room, attributes: { t: '1' }, grant: { canUpdateOwnMetadata: true },
    joinRequest: defaultJoinRequest({ metadata: 'from-join', participantAttributes: { j: '2' } }),
  });
  try {
    assert.equal(c.join.participant.metadata, 'from-join');
    assert.equal(c.join.participant.attributes.j, '2');
    assert.equal(c.join.participant.attributes.t, '1');
  } finally {
    c.close();
  }
});

test('duplicate identity: the first session gets Leave DUPLICATE_IDENTITY', async (srv) => {
  const room = randomRoom('dup');
  const identity = randomIdentity('dup');
  const first = await joinRoom(srv, { room, identity });
  let second;
  try {
    second = await joinRoom(srv, { room, identity });
    const leave = (await first.next('leave', 5000)).message.value;
    assert.equal(leave.reason, DisconnectReason.DUPLICATE_IDENTITY);
    assert.equal(leave.action, LeaveRequest_Action.DISCONNECT);
    await first.waitClose(5000);
    assert.notEqual(second.join.participant.sid, first.join.participant.sid);
    assert.ok(!second.join.otherParticipants.some((p) => p.identity === identity), 'the replaced session is not listed as another participant');
    await second.ping();
    const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET);
    const parts = await svc.listParticipants(room);
    assert.deepEqual(parts.map((p) => p.sid), [second.join.participant.sid]);
  } finally {
    first.close();
    second?.close();
  }
});

test('v0 /rtc with query parameters (JS style, and rtc-node style with a Bearer header)', async (srv) => {
  const room = randomRoom('v0');
  const js = await joinRoom(srv, { room, identity: randomIdentity('js'), v0Query: jsV0Query() });
  const node = await joinRoom(srv, {
    room, identity: randomIdentity('node'), tokenIn: 'header',
    v0Query: {
      sdk: 'node', os: 'Debian', os_version: '12.0.0', device_model: 'Unknown', protocol: 17, client_protocol: 2,
      auto_subscribe: 1, adaptive_stream: 0, version: '1.1.0', capabilities: 'CAP_PACKET_TRAILER,CAP_COMPRESSION_DEFLATE_RAW',
    },
  });
  try {
    for (const c of [js, node]) {
      assert.match(c.join.room.sid, SID_RE.room);
      assert.match(c.join.participant.sid, SID_RE.participant);
      assert.equal(c.join.participant.identity, c.identity);
      assert.equal(c.join.participant.clientProtocol, 2);
      assert.ok(c.join.pingInterval > 0 && c.join.pingTimeout > c.join.pingInterval);
      await c.ping();
    }
    assert.deepEqual(node.join.participant.capabilities,
      [ClientInfo_Capability.CAP_PACKET_TRAILER, ClientInfo_Capability.CAP_COMPRESSION_DEFLATE_RAW]);
    assert.deepEqual(node.join.otherParticipants.map((p) => p.identity), [js.identity]);
  } finally {
    js.close();
    node.close();
  }
});

test('v1 with the token only in a Bearer header and an unpadded, rtc-node style join_request', async (srv) => {
  const room = randomRoom('bearer');
  const jr = defaultJoinRequest({
    clientInfo: new ClientInfo({
      sdk: ClientInfo_SDK.NODE, version: '1.1.0', protocol: 17, os: 'Debian', osVersion: '12.0.0', deviceModel: 'Unknown',
      clientProtocol: 2, capabilities: [ClientInfo_Capability.CAP_PACKET_TRAILER, ClientInfo_Capability.CAP_COMPRESSION_DEFLATE_RAW],
    }),
  });
  const c = await joinRoom(srv, { room, tokenIn: 'header', joinRequest: jr, joinRequestOptions: { padded: false } });
  try {
    assert.equal(c.join.room.name, room);
    assert.deepEqual(c.join.participant.capabilities, [1, 2]);
  } finally {
    c.close();
  }
});

// The room comes from the token alone. Every other way a request could name a room is refused
// with a room-A token, and room B (which exists, with someone in it) never hears of the caller.
test('a token for room A never opens room B: room= in the query, resume with a B sid, no room in the token', async (srv) => {
  const roomA = randomRoom('tokA');
  const roomB = randomRoom('tokB');
  const inB = await joinRoom(srv, { room: roomB, identity: randomIdentity('inb') });
  const identity = randomIdentity('intruder');
  const tokenA = await makeToken({ identity, room: roomA });
  const base = { url: srv.wsUrl, token: tokenA };
  const anotherRoom = /permissions denied: the token is for another room/;
  try {
    const asks = [
      { what: 'v1, room= in the query', opts: { ...base, query: { room: roomB } } },
      { what: 'v1, token in a Bearer header, room= in the query', opts: { ...base, tokenIn: 'header', query: { room: roomB } } },
      { what: 'v0 (JS style), room= in the query', opts: { ...base, v0Query: jsV0Query({ room: roomB }) } },
    ];
    for (const a of asks) {
      const r = await expectRefusal(a.opts);
      assert.equal(r.kind, 'http', `${a.what}: refused before the upgrade`);
      assert.equal(r.status, 401, `${a.what}: status (body ${JSON.stringify(r.body)})`);
      assert.match(r.body, anotherRoom, a.what);
      const v = await httpGet(validateUrl(a.opts), { headers: a.opts.tokenIn === 'header' ? { Authorization: `Bearer ${tokenA}` } : {} });
      assert.equal(v.status, 401, `${a.what}: validate (body ${JSON.stringify(v.body)})`);
      assert.match(v.body, anotherRoom, `${a.what}: validate`);
    }
    // room= given twice: any value that is not the token's room refuses the request
    const v1 = validateUrl(base);
    for (const extra of [`room=${roomA}&room=${roomB}`, `room=${roomB}&room=${roomA}`]) {
      const v = await httpGet(`${v1}&${extra}`);
      assert.equal(v.status, 401, `${extra}: ${v.body}`);
    }
    // the token's own room in the query, or an empty room=, changes nothing
    for (const extra of [`room=${roomA}`, 'room=']) {
      const v = await httpGet(`${v1}&${extra}`);
      assert.equal(v.status, 200, `${extra}: ${v.body}`);
    }
    // a resume naming B's participant, v0 and v1: told to rejoin (dcsfu does not resume)
    const bSid = inB.join.participant.sid;
    const resumes = [
      { what: 'v0 resume', opts: { ...base, v0Query: jsV0Query({ reconnect: 1, sid: bSid }) } },
      { what: 'v1 resume', opts: { ...base, joinRequest: defaultJoinRequest({ reconnect: true, participantSid: bSid }) } },
    ];
    for (const a of resumes) {
      const r = await expectRefusal(a.opts);
      assert.equal(r.kind, 'leave', `${a.what}: refused with ${r.kind} ${r.status ?? ''}`);
      assert.equal(r.leave.action, LeaveRequest_Action.RECONNECT, a.what);
    }
    // a token without a room: 400, the query's room= is never taken instead (livekit-server
    // would use it)
    const noRoom = await makeToken({ identity, room: '' });
    const r = await expectRefusal({ url: srv.wsUrl, token: noRoom, query: { room: roomB } });
    assert.equal(r.kind, 'http');
    assert.equal(r.status, 400, r.body);
    // with the matching room= the same token joins room A, and only room A
    const a = await connectSignal({ ...base, query: { room: roomA } });
    try {
      assert.equal(a.join.room.name, roomA);
      assert.deepEqual(a.join.otherParticipants.map((p) => p.identity), []);
    } finally {
      a.close();
    }
    // B never saw the caller, and B's participant is still there and well
    await inB.ping();
    const seen = inB.messages.filter((m) => m.message.case === 'update'
      && m.message.value.participants.some((p) => p.identity === identity));
    assert.deepEqual(seen, [], 'room B heard of the room-A caller');
    const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET);
    assert.deepEqual((await svc.listParticipants(roomB)).map((p) => p.identity), [inB.identity]);
  } finally {
    inB.close();
  }
});

test('a publisher offer inside the join request does not disturb the session', async (srv) => {
  const room = randomRoom('offer');
  const observer = await joinRoom(srv, { room });
  const c = await joinRoom(srv, {
    room, joinRequest: defaultJoinRequest({ publisherOffer: new SessionDescription({ type: 'offer', sdp: CHROMIUM_OFFER, id: 1 }) }),
  });
  try {
    await c.ping();
    await observer.nextParticipant((p) => p.identity === c.identity, 5000, 'update for the offering participant');
    assert.deepEqual(c.decodeErrors, []);
    assert.ok(c.isOpen);
  } finally {
    c.close();
    observer.close();
  }
});

test('the publisher offer from the join request is answered with the same id', async (srv) => {
  const c = await joinRoom(srv, {
    room: randomRoom('answer'),
    joinRequest: defaultJoinRequest({ publisherOffer: new SessionDescription({ type: 'offer', sdp: CHROMIUM_OFFER, id: 1 }) }),
  });
  try {
    const ans = (await c.next('answer', 5000)).message.value;
    assert.equal(ans.type, 'answer');
    assert.equal(ans.id, 1);
    const mlines = ans.sdp.split(/\r?\n/).filter((l) => l.startsWith('m='));
    assert.equal(mlines.length, 7, `answer keeps the 7 offered sections:\n${ans.sdp}`);
    assert.match(mlines[6], /^m=application \d+ UDP\/DTLS\/SCTP webrtc-datachannel/);
    assert.match(ans.sdp, /a=mid:6/);
    assert.match(ans.sdp, /a=sctp-port:5000/);
    assert.match(ans.sdp, /a=fingerprint:sha-256 /);
  } finally {
    c.close();
  }
});

test('room.max_participants is enforced', { timeout: 40000 }, async () => {
  await withServer({ label: 'maxparts', config: { room: { max_participants: 2 } } }, async (srv) => {
    const room = randomRoom('full');
    const a = await joinRoom(srv, { room, identity: randomIdentity('a') });
    const b = await joinRoom(srv, { room, identity: randomIdentity('b') });
    try {
      const token = await makeToken({ identity: randomIdentity('c'), room });
      const r = await expectRefusal({ url: srv.wsUrl, token });
      if (r.kind === 'http') assert.ok(r.status >= 400, `refused with HTTP ${r.status}`);
      // a place frees up when someone leaves
      b.leave();
      await a.nextParticipant(isState(b.identity, ParticipantInfo_State.DISCONNECTED), 5000, 'DISCONNECTED for b');
      const d = await joinRoom(srv, { room, identity: randomIdentity('d') });
      d.close();
    } finally {
      a.close();
      b.close();
    }
  });
});

test('room.auto_create false: unknown rooms get 404 "requested room does not exist"', { timeout: 40000 }, async () => {
  await withServer({ label: 'noauto', config: { room: { auto_create: false } } }, async (srv) => {
    const room = randomRoom('noauto');
    const token = await makeToken({ identity: randomIdentity(), room });
    for (const url of [validateUrl({ url: srv.wsUrl, token, v0Query: jsV0Query() }), validateUrl({ url: srv.wsUrl, token })]) {
      const r = await httpGet(url);
      assert.equal(r.status, 404, url);
      assert.match(r.body, /requested room does not exist/);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
    const refused = await expectRefusal({ url: srv.wsUrl, token });
    if (refused.kind === 'http') assert.equal(refused.status, 404);
    // once the room exists, the same token joins
    const svc = new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET);
    await svc.createRoom({ name: room });
    const c = await connectSignal({ url: srv.wsUrl, token });
    assert.equal(c.join.room.name, room);
    c.close();
  });
});
