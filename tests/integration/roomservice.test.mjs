// RoomService over Twirp, driven by livekit-server-sdk's RoomServiceClient and by raw requests.

import assert from 'node:assert/strict';
import { RoomServiceClient, DataPacket_Kind } from 'livekit-server-sdk';
import {
  DisconnectReason,
  LeaveRequest_Action,
  ListRoomsRequest,
  ListRoomsResponse,
  ParticipantInfo_State,
} from '@livekit/protocol';

import {
  API_KEY, API_SECRET, SID_RE, joinRoom, makeServiceToken, randomIdentity, randomRoom,
  twirpRaw, useServer,
} from './helpers.mjs';

const { test } = useServer({ label: 'roomservice' });

function api(srv) {
  return new RoomServiceClient(srv.httpUrl, API_KEY, API_SECRET, { requestTimeout: 5 });
}

async function assertTwirpError(promise, code, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `Twirp code (message: ${err.message})`);
    assert.equal(err.status, status, 'HTTP status');
    return true;
  });
}

test('createRoom echoes its fields and a RM_ sid', async (srv) => {
  const name = randomRoom('create');
  const room = await api(srv).createRoom({ name, emptyTimeout: 120, maxParticipants: 7, metadata: 'created-meta' });
  assert.equal(room.name, name);
  assert.match(room.sid, SID_RE.room);
  assert.equal(room.emptyTimeout, 120);
  assert.equal(room.maxParticipants, 7);
  assert.equal(room.metadata, 'created-meta');
});

test('listRooms: all rooms, and filtered by names', async (srv) => {
  const svc = api(srv);
  const a = randomRoom('list-a');
  const b = randomRoom('list-b');
  const ra = await svc.createRoom({ name: a });
  await svc.createRoom({ name: b });
  const all = await svc.listRooms();
  const names = all.map((r) => r.name);
  assert.ok(names.includes(a) && names.includes(b), `listRooms() = ${names}`);
  const onlyA = await svc.listRooms([a]);
  assert.equal(onlyA.length, 1);
  assert.equal(onlyA[0].name, a);
  assert.equal(onlyA[0].sid, ra.sid);
  const none = await svc.listRooms([randomRoom('absent')]);
  assert.deepEqual(none, []);
});

test('deleteRoom: connected participant gets Leave ROOM_DELETED, room disappears', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('delete');
  const c = await joinRoom(srv, { room });
  try {
    assert.equal((await svc.listRooms([room])).length, 1);
    await svc.deleteRoom(room);
    const leave = (await c.next('leave', 5000)).message.value;
    assert.equal(leave.reason, DisconnectReason.ROOM_DELETED);
    assert.equal(leave.action, LeaveRequest_Action.DISCONNECT);
    await c.waitClose(5000);
    assert.deepEqual(await svc.listRooms([room]), []);
  } finally {
    c.close();
  }
});

test('listParticipants and getParticipant', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('parts');
  const a = await joinRoom(srv, { room, identity: randomIdentity('a'), name: 'Alice', metadata: 'ma' });
  const b = await joinRoom(srv, { room, identity: randomIdentity('b') });
  try {
    const list = await svc.listParticipants(room);
    const ids = list.map((p) => p.identity).sort();
    assert.deepEqual(ids, [a.identity, b.identity].sort());
    for (const p of list) assert.match(p.sid, SID_RE.participant);

    const pa = await svc.getParticipant(room, a.identity);
    assert.equal(pa.identity, a.identity);
    assert.equal(pa.sid, a.join.participant.sid);
    assert.equal(pa.name, 'Alice');
    assert.equal(pa.metadata, 'ma');

    await assertTwirpError(svc.getParticipant(room, 'nobody-here'), 'not_found', 404);
  } finally {
    a.close();
    b.close();
  }
});

test('removeParticipant: Leave PARTICIPANT_REMOVED to the target, DISCONNECTED to others', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('remove');
  const target = await joinRoom(srv, { room, identity: randomIdentity('target') });
  const other = await joinRoom(srv, { room, identity: randomIdentity('other') });
  try {
    await svc.removeParticipant(room, target.identity);
    const leave = (await target.next('leave', 5000)).message.value;
    assert.equal(leave.reason, DisconnectReason.PARTICIPANT_REMOVED);
    assert.equal(leave.action, LeaveRequest_Action.DISCONNECT);
    const gone = await other.nextParticipant(
      (p) => p.identity === target.identity && p.state === ParticipantInfo_State.DISCONNECTED, 5000, 'DISCONNECTED update');
    assert.equal(gone.sid, target.join.participant.sid);
    await target.waitClose(5000);
    const left = (await svc.listParticipants(room)).map((p) => p.identity);
    assert.deepEqual(left, [other.identity]);
    await assertTwirpError(svc.removeParticipant(room, target.identity), 'not_found', 404);
    assert.deepEqual(other.versionViolations, []);
  } finally {
    target.close();
    other.close();
  }
});

test('updateParticipant: metadata, name, attributes, permission reach everyone with a higher version', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('update');
  const p = await joinRoom(srv, { room, identity: randomIdentity('p'), attributes: { keep: 'k', drop: 'd' } });
  const o = await joinRoom(srv, { room, identity: randomIdentity('o') });
  try {
    const before = p.join.participant;
    const info = await svc.updateParticipant(room, p.identity, {
      metadata: 'new-meta',
      name: 'New Name',
      attributes: { added: 'a', drop: '' },
      permission: { canSubscribe: true, canPublish: false, canPublishData: true, canUpdateMetadata: true },
    });
    const check = (x, where) => {
      assert.equal(x.metadata, 'new-meta', `${where}: metadata`);
      assert.equal(x.name, 'New Name', `${where}: name`);
      assert.deepEqual({ ...x.attributes }, { keep: 'k', added: 'a' }, `${where}: attributes`);
      assert.equal(x.permission?.canPublish, false, `${where}: canPublish`);
      assert.equal(x.permission?.canPublishData, true, `${where}: canPublishData`);
      assert.equal(x.permission?.canUpdateMetadata, true, `${where}: canUpdateMetadata`);
      assert.ok(x.version > before.version, `${where}: version ${x.version} > ${before.version}`);
    };
    check(info, 'returned ParticipantInfo');
    const isNew = (x) => x.sid === before.sid && x.metadata === 'new-meta' && x.name === 'New Name';
    check(await p.nextParticipant(isNew, 5000, 'self update'), 'self update');
    check(await o.nextParticipant(isNew, 5000, 'update to others'), 'update to others');
    assert.deepEqual(p.versionViolations, []);
    assert.deepEqual(o.versionViolations, []);
  } finally {
    p.close();
    o.close();
  }
});

test('updateRoomMetadata: RoomUpdate to participants and returned Room', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('roommeta');
  const a = await joinRoom(srv, { room });
  const b = await joinRoom(srv, { room });
  try {
    const r = await svc.updateRoomMetadata(room, 'room-meta-2');
    assert.equal(r.metadata, 'room-meta-2');
    assert.equal(r.name, room);
    assert.equal(r.sid, a.join.room.sid);
    for (const c of [a, b]) {
      const upd = (await c.next((m) => m.message.case === 'roomUpdate' && m.message.value.room?.metadata === 'room-meta-2', 5000, 'RoomUpdate')).message.value;
      assert.equal(upd.room.name, room);
    }
  } finally {
    a.close();
    b.close();
  }
});

test('sendData is accepted (reliable and lossy, with destinationIdentities and topic)', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('senddata');
  const a = await joinRoom(srv, { room });
  try {
    const payload = new TextEncoder().encode('hello from the server');
    await svc.sendData(room, payload, DataPacket_Kind.RELIABLE, { topic: 't1' });
    await svc.sendData(room, payload, DataPacket_Kind.LOSSY, { destinationIdentities: [a.identity], topic: 't2' });
    await svc.sendData(room, payload, DataPacket_Kind.RELIABLE, { destinationIdentities: [a.identity, 'absent-user'] });
    // the signalling connection is unaffected
    await a.ping();
  } finally {
    a.close();
  }
});

test('mutePublishedTrack and updateSubscriptions are unimplemented (501)', async (srv) => {
  const svc = api(srv);
  const room = randomRoom('unimpl');
  const a = await joinRoom(srv, { room });
  try {
    await assertTwirpError(svc.mutePublishedTrack(room, a.identity, 'TR_AAAAAAAAAAAA', true), 'unimplemented', 501);
    await assertTwirpError(svc.updateSubscriptions(room, a.identity, ['TR_AAAAAAAAAAAA'], true), 'unimplemented', 501);
  } finally {
    a.close();
  }
});

test('a token without roomCreate gets 401 {"code":"unauthenticated"} as application/json', async (srv) => {
  const token = await makeServiceToken({ roomList: true, roomAdmin: true });
  const r = await twirpRaw(srv, 'CreateRoom', JSON.stringify({ name: randomRoom('nogrant') }), { token });
  assert.equal(r.status, 401);
  assert.equal(r.contentType, 'application/json');
  assert.equal(JSON.parse(r.text).code, 'unauthenticated');

  const listToken = await makeServiceToken({ roomCreate: true });
  const l = await twirpRaw(srv, 'ListRooms', '{}', { token: listToken });
  assert.equal(l.status, 401);
  assert.equal(l.contentType, 'application/json');
  assert.equal(JSON.parse(l.text).code, 'unauthenticated');

  const adminOtherRoom = await makeServiceToken({ roomAdmin: true, room: 'some-other-room' });
  const p = await twirpRaw(srv, 'ListParticipants', JSON.stringify({ room: randomRoom('adm') }), { token: adminOtherRoom });
  assert.equal(p.status, 401);
  assert.equal(JSON.parse(p.text).code, 'unauthenticated');
});

test('a Twirp body that is not JSON gets 400 malformed/invalid_argument', async (srv) => {
  const token = await makeServiceToken({ roomCreate: true });
  const r = await twirpRaw(srv, 'CreateRoom', '{"name": "unterminated', { token });
  assert.equal(r.status, 400);
  assert.equal(r.contentType, 'application/json');
  assert.ok(['malformed', 'invalid_argument'].includes(JSON.parse(r.text).code), r.text);
});

test('ListRooms with an application/protobuf body', async (srv) => {
  const svc = api(srv);
  const name = randomRoom('proto');
  await svc.createRoom({ name, metadata: 'pm' });
  const token = await makeServiceToken({ roomList: true });
  const r = await twirpRaw(srv, 'ListRooms', new ListRoomsRequest({ names: [name] }).toBinary(), { token, contentType: 'application/protobuf' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.contentType ?? '', /^application\/protobuf/);
  const resp = ListRoomsResponse.fromBinary(new Uint8Array(r.body));
  assert.equal(resp.rooms.length, 1);
  assert.equal(resp.rooms[0].name, name);
  assert.equal(resp.rooms[0].metadata, 'pm');
  assert.match(resp.rooms[0].sid, SID_RE.room);
});
