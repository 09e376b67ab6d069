// Bad input must be refused cleanly and must not disturb anyone else: every test keeps a good
// client in the same room and checks afterwards that it still gets pongs and updates.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ParticipantInfo_State, WrappedJoinRequest, WrappedJoinRequest_Compression } from '@livekit/protocol';

import {
  API_KEY, assertClientHealthy, connectSignal, defaultJoinRequest, expectRefusal, httpGet, joinRoom,
  makeServiceToken, makeToken, nowSec, openSignal, randomIdentity, randomRoom, rawTcp, signJwt,
  statusOf, twirpRaw, useServer, validateUrl,
} from './helpers.mjs';

const LIMITS = {
  signal_message_size_limit: 65536,
  max_metadata_size: 1024,
  max_participant_name_length: 64,
  max_http_header_size: 32768,
};
const { test } = useServer({ label: 'badinput', config: { limit: LIMITS } });

/** Runs fn(room, good) with a good participant in the room, then checks that it still works. */
async function withGoodClient(srv, fn) {
  const room = randomRoom('bad');
  const good = await joinRoom(srv, { room, identity: randomIdentity('good') });
  try {
    await fn(room, good);
    await assertClientHealthy(srv, good, room);
    assert.deepEqual(good.versionViolations, []);
  } finally {
    good.close();
  }
}

function claims(room, identity, extra = {}) {
  return { iss: API_KEY, sub: identity, nbf: nowSec() - 5, exp: nowSec() + 600, video: { roomJoin: true, room }, ...extra };
}

/** Expects the same 401 plain-text answer at the v1 upgrade and at both validate endpoints. */
async function expect401(srv, { token, headers = {}, tokenIn }, body, what) {
  const check = (status, text, contentType, where) => {
    assert.equal(status, 401, `${what} at ${where}: status (body ${JSON.stringify(text)})`);
    if (body instanceof RegExp) assert.match(text.trim(), body, `${what} at ${where}: body`);
    else assert.equal(text.trim(), body, `${what} at ${where}: body`);
    assert.match(contentType ?? '', /^text\/plain/, `${what} at ${where}: content-type`);
  };
  const up = await openSignal({ url: srv.wsUrl, token, headers, tokenIn });
  if (up.ok) {
    up.client.close();
    assert.fail(`${what}: the upgrade was accepted`);
  }
  check(up.status, up.body, up.headers['content-type'], 'upgrade');
  for (const v0Query of [undefined, {}]) {
    const url = validateUrl({ url: srv.wsUrl, token, tokenIn, v0Query });
    const h = { ...headers };
    if (token && tokenIn === 'header') h.Authorization = `Bearer ${token}`;
    const r = await httpGet(url, { headers: h });
    check(r.status, r.body, r.headers.get('content-type'), v0Query ? 'v0 validate' : 'v1 validate');
    assert.equal(r.headers.get('access-control-allow-origin'), '*', `${what}: CORS on validate`);
  }
}

test('tokens that fail verification get 401 with LiveKit\'s plain-text bodies', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const id = randomIdentity('bad');
    const INVALID = /^invalid authorization token/;
    await expect401(srv, { token: await makeToken({ identity: id, room, secret: 'wrong-secret' }) }, INVALID, 'wrong secret');
    await expect401(srv, { token: await makeToken({ identity: id, room, apiKey: 'unknownkey', secret: 'whatever' }) }, 'invalid API key', 'unknown key');
    await expect401(srv, { token: signJwt(claims(room, id, { nbf: nowSec() - 7200, exp: nowSec() - 3600 })) }, INVALID, 'expired');
    const noExp = claims(room, id);
    delete noExp.exp;
    await expect401(srv, { token: signJwt(noExp) }, INVALID, 'no exp');
    await expect401(srv, { token: signJwt(claims(room, id), { alg: 'none' }) }, INVALID, 'alg none');
    await expect401(srv, { token: signJwt(claims(room, id), { header: { alg: 'HS512', typ: 'JWT' } }) }, INVALID, 'alg HS512 header');
    await expect401(srv, { token: 'not.a.jwt' }, INVALID, 'garbage token');
  });
});

test('tokens without the right grants, or no token, get 401', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const id = randomIdentity('bad');
    await expect401(srv, { token: await makeToken({ identity: id, room, grant: { roomJoin: false } }) }, 'permissions denied', 'roomJoin false');
    await expect401(srv, { token: signJwt({ iss: API_KEY, sub: id, exp: nowSec() + 600 }) }, 'no permissions to access the room', 'no video grant');
    await expect401(srv, {}, 'no permissions to access the room', 'no token');
    await expect401(srv, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }, /^invalid authorization header\. Must start with Bearer/, 'Basic auth header');
    // the same bad token as a Bearer header (the way rtc-node sends it)
    await expect401(srv, { token: await makeToken({ identity: id, room, secret: 'wrong-secret' }), tokenIn: 'header' }, /^invalid authorization token/, 'wrong secret as Bearer');
  });
});

test('oversize identity, room name, name or metadata in the token are refused', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const cases = [
      { what: 'metadata', tok: { identity: randomIdentity(), room, metadata: 'm'.repeat(LIMITS.max_metadata_size + 1) } },
      { what: 'name', tok: { identity: randomIdentity(), room, name: 'n'.repeat(LIMITS.max_participant_name_length + 1) } },
      { what: 'identity', tok: { identity: 'i'.repeat(300), room } },
      { what: 'room name', tok: { identity: randomIdentity(), room: 'r'.repeat(300) } },
    ];
    for (const c of cases) {
      const r = await expectRefusal({ url: srv.wsUrl, token: await makeToken(c.tok) });
      if (r.kind === 'http') assert.ok(r.status >= 400 && r.status < 500, `${c.what}: HTTP ${r.status}`);
    }
  });
});

test('metadata in the JoinRequest without canUpdateOwnMetadata is refused with 401', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const token = await makeToken({ identity: randomIdentity(), room });
    const r = await openSignal({ url: srv.wsUrl, token, joinRequest: defaultJoinRequest({ metadata: 'sneaky' }) });
    if (r.ok) r.client.close();
    assert.equal(r.status, 401);
  });
});

test('malformed join_request gets 400', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const token = await makeToken({ identity: randomIdentity(), room });
    const notGzip = new WrappedJoinRequest({ compression: WrappedJoinRequest_Compression.GZIP, joinRequest: crypto.randomBytes(64) });
    const gzipGarbage = new WrappedJoinRequest({
      compression: WrappedJoinRequest_Compression.GZIP,
      // a gzip header followed by garbage
      joinRequest: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), crypto.randomBytes(40)]),
    });
    const params = {
      missing: null,
      empty: '',
      'not base64': '!!!not*base64!!!',
      'random bytes': crypto.randomBytes(50).toString('base64url'),
      'gzip flag, plain bytes': Buffer.from(notGzip.toBinary()).toString('base64url'),
      'broken gzip': Buffer.from(gzipGarbage.toBinary()).toString('base64url'),
      'uncompressed garbage': Buffer.from(new WrappedJoinRequest({ joinRequest: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]) }).toBinary()).toString('base64url'),
    };
    for (const [what, joinRequestParam] of Object.entries(params)) {
      const r = await openSignal({ url: srv.wsUrl, token, joinRequestParam });
      if (r.ok) {
        r.client.close();
        assert.fail(`${what}: upgrade accepted`);
      }
      assert.equal(r.status, 400, `${what}: status (body ${JSON.stringify(r.body)})`);
      if (what === 'missing') assert.match(r.body, /join_request is required/);
    }
  });
});

/** A second client in the room that sends something bad after its JoinResponse. */
async function badClient(srv, room) {
  return joinRoom(srv, { room, identity: randomIdentity('badc') });
}

test('a text frame: the connection is closed or the frame ignored, nobody else notices', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const b = await badClient(srv, room);
    try {
      b.sendRaw('{"ping": 1}');
      b.sendRaw('hello, this is text');
      assert.ok(['closed', 'alive'].includes(await b.aliveOrClosed(3000)));
    } finally {
      b.close();
    }
  });
});

test('binary frames that are not SignalRequests: closed or ignored, nobody else notices', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const b = await badClient(srv, room);
    try {
      b.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
      b.sendRaw(crypto.randomBytes(512));
      b.sendRaw(Buffer.alloc(0));
      // field 14 (ping) with a truncated varint, then a length-delimited field that runs past the end
      b.sendRaw(Buffer.from([0x70, 0x80]));
      b.sendRaw(Buffer.from([0x7a, 0x40, 0x01]));
      assert.ok(['closed', 'alive'].includes(await b.aliveOrClosed(3000)));
    } finally {
      b.close();
    }
  });
});

test('a frame over limit.signal_message_size_limit closes that connection with 1009', async (srv) => {
  await withGoodClient(srv, async (room, good) => {
    const b = await badClient(srv, room);
    try {
      await good.nextParticipant((p) => p.identity === b.identity, 5000, 'update for the bad client');
      b.sendRaw(crypto.randomBytes(LIMITS.signal_message_size_limit + 4096));
      const ci = await b.waitClose(5000);
      assert.equal(ci.code, 1009);
      await good.nextParticipant((p) => p.identity === b.identity && p.state === ParticipantInfo_State.DISCONNECTED, 5000, 'DISCONNECTED for the closed client');
    } finally {
      b.close();
    }
  });
});

test('a frame header announcing 1 TiB closes that connection', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const b = await badClient(srv, room);
    try {
      // FIN+binary, masked, 64-bit length 2^40, mask key, then a few payload bytes
      const hdr = Buffer.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9]);
      b.ws._socket.write(hdr);
      const ci = await b.waitClose(5000);
      assert.ok(ci.code === 1009 || ci.code === 1002 || ci.code === 1006, `close code ${ci.code}`);
    } finally {
      b.close();
    }
  });
});

test('a client that disappears without Leave is removed', async (srv) => {
  await withGoodClient(srv, async (room, good) => {
    const b = await badClient(srv, room);
    await good.nextParticipant((p) => p.identity === b.identity, 5000, 'update for the client');
    b.ws._socket.destroy();
    await good.nextParticipant((p) => p.identity === b.identity && p.state === ParticipantInfo_State.DISCONNECTED, 5000, 'DISCONNECTED after the TCP connection died');
  });
});

test('a 64 KiB request header gets 431', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const token = await makeToken({ identity: randomIdentity(), room });
    const req = `GET /rtc/validate?access_token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    const r = await rawTcp(srv.port, req);
    assert.equal(statusOf(r.text), 431, `got ${JSON.stringify(r.text.slice(0, 200))} (${r.how})`);
    const many = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 4000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`;
    const r2 = await rawTcp(srv.port, many);
    assert.equal(statusOf(r2.text), 431, `many headers: got ${JSON.stringify(r2.text.slice(0, 200))} (${r2.how})`);
  });
});

test('bytes that are not HTTP get 400 or a closed connection', async (srv) => {
  await withGoodClient(srv, async () => {
    for (const junk of [crypto.randomBytes(300), Buffer.from('HELLO\r\n\r\n'), Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')]) {
      const r = await rawTcp(srv.port, junk, { timeoutMs: 3000 });
      const st = statusOf(r.text);
      assert.ok(st === 400 || st === 505 || (st === null && r.how !== 'timeout'), `junk ${JSON.stringify(junk.toString('latin1').slice(0, 20))}: ${r.how} ${JSON.stringify(r.text.slice(0, 80))}`);
    }
  });
});

test('a stalled, half-sent request does not hold up anyone else', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const net = await import('node:net');
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    sock.on('error', () => {});
    sock.write('GET /rtc/v1?access_token=abc');
    try {
      // while it hangs, others join and talk
      const other = await joinRoom(srv, { room });
      await other.ping();
      other.close();
    } finally {
      sock.destroy();
    }
  });
});

test('Twirp: a body that is not JSON gets 400; no token or no grant gets 401', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const token = await makeServiceToken({ roomAdmin: true, room });
    const bad = await twirpRaw(srv, 'UpdateRoomMetadata', 'this is { not json', { token });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.contentType, 'application/json');
    assert.ok(['malformed', 'invalid_argument'].includes(JSON.parse(bad.text).code), bad.text);
    const wrongType = await twirpRaw(srv, 'UpdateRoomMetadata', JSON.stringify({ room, metadata: 42 }), { token });
    assert.equal(wrongType.status, 400, wrongType.text);

    const none = await twirpRaw(srv, 'ListParticipants', JSON.stringify({ room }));
    assert.equal(none.status, 401, none.text);
    const joinOnly = await makeToken({ identity: randomIdentity(), room });
    const nograt = await twirpRaw(srv, 'ListParticipants', JSON.stringify({ room }), { token: joinOnly });
    assert.equal(nograt.status, 401, nograt.text);
    assert.equal(nograt.contentType, 'application/json');
    assert.equal(JSON.parse(nograt.text).code, 'unauthenticated');

    const unknownMethod = await twirpRaw(srv, 'NoSuchMethod', '{}', { token });
    assert.equal(unknownMethod.status, 404, unknownMethod.text);
    assert.equal(JSON.parse(unknownMethod.text).code, 'bad_route');
  });
});

test('a good client keeps working after a burst of refused connections', async (srv) => {
  await withGoodClient(srv, async (room) => {
    const bad = await makeToken({ identity: randomIdentity(), room, secret: 'nope' });
    const attempts = await Promise.all(Array.from({ length: 20 }, () => openSignal({ url: srv.wsUrl, token: bad })));
    for (const a of attempts) {
      if (a.ok) a.client.close();
      assert.equal(a.status, 401);
    }
    // connections closed before the JoinResponse could be read
    const good = await makeToken({ identity: randomIdentity('flaky'), room });
    const opened = await Promise.all(Array.from({ length: 5 }, () => openSignal({ url: srv.wsUrl, token: good })));
    for (const o of opened) if (o.ok) o.client.ws._socket.destroy();
    const c = await connectSignal({ url: srv.wsUrl, token: await makeToken({ identity: randomIdentity('after'), room }) });
    await c.ping();
    c.close();
  });
});
