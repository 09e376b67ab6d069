// Self-checks of the test helpers that need no server: the join_request encoding decodes back to
// what was sent, hand-made JWTs verify like real ones, and the YAML for --config-body is sane.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { TokenVerifier } from 'livekit-server-sdk';
import {
  ClientInfo_SDK,
  JoinRequest,
  SessionDescription,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';

import {
  API_KEY, API_SECRET, decodeJoinRequest, defaultJoinRequest, encodeJoinRequest, makeToken,
  nowSec, signJwt, signalUrl, toYaml, validateUrl,
} from './helpers.mjs';

test('join_request: gzip + padded base64url round-trips', () => {
  const jr = defaultJoinRequest({
    metadata: 'meta',
    participantAttributes: { a: '1' },
    publisherOffer: new SessionDescription({ type: 'offer', sdp: 'v=0\r\n', id: 1 }),
  });
  const s = encodeJoinRequest(jr);
  assert.match(s, /^[A-Za-z0-9_-]+=*$/);
  assert.equal(s.length % 4, 0);
  const { wrapped, joinRequest } = decodeJoinRequest(s);
  assert.equal(wrapped.compression, WrappedJoinRequest_Compression.GZIP);
  // gzip magic: the server must see RFC 1952 gzip, not raw deflate
  assert.deepEqual([...wrapped.joinRequest.subarray(0, 2)], [0x1f, 0x8b]);
  assert.ok(joinRequest.equals(jr));
  assert.equal(joinRequest.clientInfo.sdk, ClientInfo_SDK.JS);
  assert.equal(joinRequest.clientInfo.protocol, 17);
  assert.equal(joinRequest.clientInfo.clientProtocol, 2);
  assert.equal(joinRequest.publisherOffer.id, 1);
});

test('join_request: uncompressed + unpadded, decoded by hand', () => {
  const jr = defaultJoinRequest({ metadata: 'x' });
  const s = encodeJoinRequest(jr, { gzip: false, padded: false });
  assert.doesNotMatch(s, /=/);
  const raw = Buffer.from(s, 'base64url');
  const wrapped = WrappedJoinRequest.fromBinary(raw);
  assert.equal(wrapped.compression, WrappedJoinRequest_Compression.NONE);
  assert.ok(JoinRequest.fromBinary(wrapped.joinRequest).equals(jr));
  // field 1 (compression) is absent when NONE; field 2 (join_request) is length-delimited: tag 0x12
  assert.equal(raw[0], 0x12);
  assert.ok(zlib.gzipSync(jr.toBinary()).length > 0);
});

test('signal and validate URLs carry the parameters the SDKs send', () => {
  const v1 = new URL(signalUrl({ url: 'ws://127.0.0.1:7880', token: 'T', joinRequest: {} }));
  assert.equal(v1.pathname, '/rtc/v1');
  assert.equal(v1.searchParams.get('access_token'), 'T');
  assert.ok(decodeJoinRequest(v1.searchParams.get('join_request')).joinRequest.clientInfo);
  const v0 = new URL(signalUrl({ url: 'ws://127.0.0.1:7880', token: 'T', v0Query: { sdk: 'js', protocol: 17 } }));
  assert.equal(v0.pathname, '/rtc');
  assert.equal(v0.searchParams.get('protocol'), '17');
  assert.equal(v0.searchParams.get('join_request'), null);
  const hdr = new URL(signalUrl({ url: 'ws://127.0.0.1:7880', token: 'T', tokenIn: 'header', joinRequest: {} }));
  assert.equal(hdr.searchParams.get('access_token'), null);
  const val = new URL(validateUrl({ url: 'ws://127.0.0.1:7880', token: 'T', joinRequest: {} }));
  assert.equal(val.protocol, 'http:');
  assert.equal(val.pathname, '/rtc/v1/validate');
});

test('tokens: AccessToken claims and hand-made HS256 verify; alg none and no-exp look as intended', async () => {
  const verifier = new TokenVerifier(API_KEY, API_SECRET);
  const tok = await makeToken({ identity: 'alice', room: 'r1', name: 'Alice', metadata: 'm', attributes: { a: '1' }, grant: { canUpdateOwnMetadata: true } });
  const claims = await verifier.verify(tok);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.iss, API_KEY);
  assert.equal(claims.name, 'Alice');
  assert.equal(claims.metadata, 'm');
  assert.deepEqual(claims.attributes, { a: '1' });
  assert.equal(claims.video.roomJoin, true);
  assert.equal(claims.video.room, 'r1');
  assert.ok(claims.exp > nowSec());

  const hand = signJwt({ iss: API_KEY, sub: 'bob', nbf: nowSec(), exp: nowSec() + 600, video: { roomJoin: true, room: 'r1' } });
  const hc = await verifier.verify(hand);
  assert.equal(hc.sub, 'bob');

  const noExp = signJwt({ iss: API_KEY, sub: 'bob', video: { roomJoin: true, room: 'r1' } });
  await assert.rejects(verifier.verify(noExp));
  const none = signJwt({ iss: API_KEY, sub: 'bob', exp: nowSec() + 600, video: { roomJoin: true, room: 'r1' } }, { alg: 'none' });
  assert.equal(JSON.parse(Buffer.from(none.split('.')[0], 'base64url')).alg, 'none');
  assert.ok(none.endsWith('.'));
  await assert.rejects(verifier.verify(none));
  const wrong = signJwt({ iss: API_KEY, sub: 'bob', exp: nowSec() + 600, video: { roomJoin: true, room: 'r1' } }, { secret: 'not-the-secret' });
  await assert.rejects(verifier.verify(wrong));
});

test('toYaml emits nested block mappings', () => {
  assert.equal(
    toYaml({ room: { auto_create: false, max_participants: 2 }, limit: { max_metadata_size: 100 }, rtc: { node_ip: '10.77.0.1' } }),
    'room:\n  auto_create: false\n  max_participants: 2\nlimit:\n  max_metadata_size: 100\nrtc:\n  node_ip: "10.77.0.1"\n',
  );
});
