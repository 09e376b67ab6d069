// The operator subcommands of the server binary: `generate-keys` prints a usable key pair, and
// `create-join-token` makes tokens the server accepts: a signalling client gets a JoinResponse
// whose permission carries the --grant flags, and an @livekit/rtc-node Room connects with one.
// Usage mistakes exit with status 2 and a message.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { startAgent } from './agent.mjs';
import {
  connectSignal, randomIdentity, randomRoom, serverBinary, useServer, withServer,
} from './helpers.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({ label: 'cli', config: nodeIp ? { rtc: { node_ip: nodeIp } } : undefined });

/** Runs the binary with args and no LIVEKIT_* configuration from the environment. */
function dcsfu(args, env = {}) {
  const clean = { ...process.env };
  delete clean.LIVEKIT_KEYS;
  delete clean.LIVEKIT_CONFIG;
  const r = spawnSync(serverBinary(), args, { env: { ...clean, ...env }, encoding: 'utf8', timeout: 10000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tokenFrom(r) {
  assert.equal(r.status, 0, `exit status (stderr: ${r.stderr})`);
  const m = /^Token: ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\n$/.exec(r.stdout);
  assert.ok(m, `output ${JSON.stringify(r.stdout)}`);
  return m[1];
}

const payloadOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

test('generate-keys prints a fresh API key and secret, as livekit-server does', () => {
  const re = /^API Key: {2}(API[A-Za-z0-9]{12})\nAPI Secret: {2}([A-Za-z0-9_-]{43})\n$/;
  const a = dcsfu(['generate-keys']);
  const b = dcsfu(['generate-keys']);
  for (const r of [a, b]) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, re);
    assert.equal(r.stderr, '');
  }
  assert.notEqual(re.exec(a.stdout)[1], re.exec(b.stdout)[1]);
  assert.notEqual(re.exec(a.stdout)[2], re.exec(b.stdout)[2]);
});

test('--help mentions the subcommands', () => {
  const r = dcsfu(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /generate-keys/);
  assert.match(r.stdout, /create-join-token/);
  const h = dcsfu(['create-join-token', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--valid-for/);
});

test('create-join-token --dev: the JoinResponse carries identity, name, metadata and the grants', async (srv) => {
  const room = randomRoom('cli');
  const identity = randomIdentity('cli');
  const token = tokenFrom(dcsfu(['create-join-token', '--dev', '--room', room, '--identity', identity,
    '--name', 'CLI user', '--metadata', 'm1', '--valid-for', '1h30m',
    '--grant', 'canUpdateOwnMetadata', '--grant=canSubscribe=false']));
  const p = payloadOf(token);
  assert.equal(p.iss, 'devkey');
  assert.equal(p.sub, identity);
  assert.equal(p.exp - p.nbf, 5400);
  assert.ok(Math.abs(p.nbf - Date.now() / 1000) < 60, `nbf ${p.nbf}`);
  assert.deepEqual(p.video, { roomJoin: true, room, canUpdateOwnMetadata: true, canSubscribe: false });

  const client = await connectSignal({ url: srv.wsUrl, token });
  try {
    const me = client.join.participant;
    assert.equal(client.join.room.name, room);
    assert.equal(me.identity, identity);
    assert.equal(me.name, 'CLI user');
    assert.equal(me.metadata, 'm1');
    assert.equal(me.permission.canUpdateMetadata, true);
    assert.equal(me.permission.canSubscribe, false);
    assert.equal(me.permission.canPublish, true);
    assert.equal(me.permission.canPublishData, true);
    assert.equal(me.permission.hidden, false);
  } finally {
    client.close();
  }
});

test('create-join-token --dev: an @livekit/rtc-node Room connects and uses the grant', { timeout: 60000 }, async (srv) => {
  const room = randomRoom('clirtc');
  const identity = randomIdentity('clirtc');
  const token = tokenFrom(dcsfu(['create-join-token', '--dev', '--room', room, '--identity', identity,
    '--grant', 'canUpdateOwnMetadata']));
  const a = await startAgent(srv, { identity, room, token });
  try {
    const connected = a.events.find((e) => e.event === 'connected');
    assert.equal(connected.identity, identity);
    await a.do({ cmd: 'setMetadata', metadata: 'set by a CLI token' });
  } finally {
    await a.stop();
  }
});

test('generated keys work end to end: --keys for the server, LIVEKIT_KEYS or --keys for the token, --api-key picks one', { timeout: 30000 }, async () => {
  const re = /^API Key: {2}(\S+)\nAPI Secret: {2}(\S+)\n$/;
  const [, k1, s1] = re.exec(dcsfu(['generate-keys']).stdout);
  const [, k2, s2] = re.exec(dcsfu(['generate-keys']).stdout);
  const keys = `${k1}: ${s1}\n${k2}: ${s2}`;
  const room = randomRoom('clikeys');
  const first = tokenFrom(dcsfu(['create-join-token', '--room', room, '--identity', 'one'], { LIVEKIT_KEYS: keys }));
  const second = tokenFrom(dcsfu(['create-join-token', '--keys', keys, '--api-key', k2, '--room', room, '--identity', 'two']));
  assert.equal(payloadOf(first).iss, k1);
  assert.equal(payloadOf(second).iss, k2);
  await withServer({ label: 'cli-keys', args: ['--keys', keys] }, async (srv) => {
    for (const [token, identity] of [[first, 'one'], [second, 'two']]) {
      const c = await connectSignal({ url: srv.wsUrl, token });
      assert.equal(c.join.participant.identity, identity);
      c.close();
    }
  });
});

test('usage and configuration errors exit with status 2 and say why', () => {
  const cases = [
    [['create-join-token', '--dev', '--room', 'r'], /--room and --identity/],
    [['create-join-token', '--dev', '--identity', 'i'], /--room and --identity/],
    [['create-join-token', '--dev', '--room', 'r', '--identity', 'i', '--valid-for', 'soon'], /--valid-for/],
    [['create-join-token', '--dev', '--room', 'r', '--identity', 'i', '--valid-for', '6'], /--valid-for/],
    [['create-join-token', '--dev', '--room', 'r', '--identity', 'i', '--bogus'], /unknown flag "--bogus"/],
    [['create-join-token', '--dev', '--room', 'r', '--identity', 'i', '--grant', 'canFly'], /--grant/],
    [['create-join-token', '--dev', '--room', 'r', '--identity', 'i', '--api-key', 'nokey'], /not one of the configured keys/],
    [['create-join-token', '--room', 'r', '--identity', 'i'], /keys must be provided/],
    [['generate-keys', '--dev'], /no arguments/],
  ];
  for (const [args, msg] of cases) {
    const r = dcsfu(args);
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});
