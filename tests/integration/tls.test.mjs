// TLS on the signaling port (tls.cert_file / tls.key_file) with real clients. A test CA and two
// server certificates (EC P-256, then RSA-2048 for the reload; SAN 10.77.0.1, 127.0.0.1 and
// localhost) are made with the openssl CLI at the start; the server gets leaf + CA as its chain.
//
// - @livekit/rtc-node over wss:// trusts the CA through SSL_CERT_FILE (its agents inherit the
//   test's environment) and exchanges data; livekit-server-sdk's RoomServiceClient over https://
//   runs in a child node with NODE_EXTRA_CA_CERTS; livekit-client in headless Chromium trusts the
//   server's keys through --ignore-certificate-errors-spki-list.
// - Clients that do not trust the CA are refused; SIGHUP swaps the certificate for new
//   connections while connected participants carry on; a certificate that does not load keeps the
//   old one; plaintext and garbage on the port are answered or dropped without harm.
// Needs the network namespace of scripts/test-integration.sh (DCSFU_NODE_IP) for the data plane.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  API_KEY, API_SECRET, REPO_ROOT, delay, freeTcpPort, httpsRequest, makeToken, randomRoom, useServer,
} from './helpers.mjs';
import { awaitPeers, startAgent, withAgents } from './agent.mjs';
import { launchBrowser } from './browser.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-tls-'));
const file = (name) => path.join(dir, name);
const openssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(name, cn) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(name, cn, keyArgs) {
  openssl(['req', '-new', '-newkey', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', `/CN=${cn}`]);
  fs.writeFileSync(file(`${name}.ext`), 'subjectAltName=IP:10.77.0.1,IP:127.0.0.1,DNS:localhost\n'
    + 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  return {
    chain: fs.readFileSync(file(`${name}.pem`), 'utf8') + fs.readFileSync(file('ca.pem'), 'utf8'),
    key: fs.readFileSync(file(`${name}.key`), 'utf8'),
    fingerprint: new crypto.X509Certificate(fs.readFileSync(file(`${name}.pem`))).fingerprint256,
    spki: crypto.createHash('sha256').update(new crypto.X509Certificate(fs.readFileSync(file(`${name}.pem`)))
      .publicKey.export({ type: 'spki', format: 'der' })).digest('base64'),
  };
}

makeCa('ca', 'dcsfu test CA');
makeCa('other-ca', 'some other CA');
const certA = makeLeaf('leaf-a', 'dcsfu test A', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
const certB = makeLeaf('leaf-b', 'dcsfu test B', ['rsa:2048']);
const CA = fs.readFileSync(file('ca.pem'), 'utf8');

/** The files the server reads: rewritten in place for the reload tests. */
function install({ chain, key }) {
  fs.writeFileSync(file('live-cert.pem'), chain, { mode: 0o644 });
  fs.writeFileSync(file('live-key.pem'), key, { mode: 0o600 });
  fs.chmodSync(file('live-key.pem'), 0o600);
}
install(certA);

// rtc-node's agents inherit this: the CA is all they trust
process.env.SSL_CERT_FILE = file('ca.pem');

const metricsPort = await freeTcpPort();
const config = {
  tls: { cert_file: file('live-cert.pem'), key_file: file('live-key.pem') },
  prometheus: { port: metricsPort },
};
if (nodeIp) config.rtc = { node_ip: nodeIp };
const { test } = useServer({ label: 'tls', config, tlsCa: CA });

const b64 = (s) => Buffer.from(s).toString('base64');
const isData = (topic) => (e) => e.event === 'data' && e.topic === topic;
const portOf = (srv) => Number(new URL(srv.httpUrl).port);

async function scrape() {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one sample, e.g. metric(text, 'dcsfu_tls_reloads_total{result="ok"}'). */
function metric(text, sample) {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  assert.ok(line, `no sample ${sample} in the scrape`);
  return Number(line.slice(sample.length + 1));
}

async function waitMetric(sample, pred, ms, what) {
  const deadline = Date.now() + ms;
  let v;
  for (;;) {
    v = metric(await scrape(), sample);
    if (pred(v)) return v;
    if (Date.now() > deadline) assert.fail(`${sample} = ${v}: ${what}`);
    await delay(100);
  }
}

/** The certificate a new TLS connection gets (fingerprint), trusting the test CA. */
async function servedFingerprint(srv) {
  const r = await httpsRequest(`${srv.httpUrl}/`, { ca: CA });
  assert.equal(r.status, 200);
  return r.cert.fingerprint256;
}

/** livekit-server-sdk's RoomServiceClient.listRooms() in a child node with extra environment. */
function listRoomsInChild(srv, env) {
  const script = `import { RoomServiceClient } from 'livekit-server-sdk';
const c = new RoomServiceClient(process.env.LK_HTTP_URL, process.env.LK_KEY, process.env.LK_SECRET);
try {
  const rooms = await c.listRooms();
  console.log(JSON.stringify({ ok: true, rooms: rooms.map((r) => ({ name: r.name, n: r.numParticipants })) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e?.cause?.code ?? e?.cause?.message ?? e?.message ?? e) }));
}`;
  const childEnv = { ...process.env, LK_HTTP_URL: srv.httpUrl, LK_KEY: API_KEY, LK_SECRET: API_SECRET, ...env };
  delete childEnv.NODE_EXTRA_CA_CERTS;
  if (env.NODE_EXTRA_CA_CERTS) childEnv.NODE_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, env: childEnv, timeout: 20000 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop();
        try {
          resolve(JSON.parse(line));
        } catch {
          reject(new Error(`RoomService child failed (${err?.message}): ${stdout}\n${stderr}`));
        }
      });
  });
}

function requireNetns() {
  assert.ok(process.env.DCSFU_IN_NETNS === '1' && nodeIp,
    'run these through scripts/test-integration.sh (private network namespace, DCSFU_NODE_IP)');
}

test('rtc-node agents join over wss:// and exchange data; RoomServiceClient lists them over https://', { timeout: 90000 }, async (srv) => {
  requireNetns();
  assert.match(srv.wsUrl, /^wss:\/\//);
  const room = randomRoom('tls');
  await withAgents(srv, [{ identity: 'A', room }, { identity: 'B', room }], async ([a, bAgent]) => {
    await awaitPeers(a, ['B']);
    await awaitPeers(bAgent, ['A']);
    await a.do({ cmd: 'publish', data: b64('hello over wss'), topic: 'tls-a' });
    const got = await bAgent.next(isData('tls-a'), 10000, 'data from A');
    assert.equal(Buffer.from(got.data, 'base64').toString(), 'hello over wss');
    await bAgent.do({ cmd: 'publish', size: 50000, seed: 3, topic: 'tls-b' });
    const big = await a.next(isData('tls-b'), 10000, 'large data from B');
    assert.equal(big.size, 50000);

    const listed = await listRoomsInChild(srv, { NODE_EXTRA_CA_CERTS: file('ca.pem') });
    assert.ok(listed.ok, `listRooms over https failed: ${listed.error}`);
    const mine = listed.rooms.find((r) => r.name === room);
    assert.ok(mine, `room ${room} listed: ${JSON.stringify(listed.rooms)}`);
    assert.equal(mine.n, 2);
  });
  const text = await scrape();
  assert.ok(metric(text, 'dcsfu_tls_handshakes_total') >= 3);
  assert.ok(metric(text, 'dcsfu_tls_certificate_expiry_timestamp_seconds') > Date.now() / 1000);
});

test('livekit-client in Chromium connects over wss:// and exchanges data with an rtc-node agent', { timeout: 90000 }, async (srv) => {
  requireNetns();
  const room = randomRoom('tls-browser');
  const browser = await launchBrowser({
    extraArgs: [`--ignore-certificate-errors-spki-list=${certA.spki},${certB.spki}`],
  });
  try {
    await withAgents(srv, [{ identity: 'agent', room }], async ([agent]) => {
      const tab = await browser.openRoom('tls');
      await tab.connect(srv.wsUrl, await makeToken({ identity: 'web', room }));
      await tab.waitFor('connected', 30000, 'Room.connect over wss');
      await awaitPeers(agent, ['web']);
      await tab.publish(Buffer.from('from the browser'), { reliable: true, topic: 'tls-web' });
      const got = await agent.next(isData('tls-web'), 10000, 'data from the browser');
      assert.equal(Buffer.from(got.data, 'base64').toString(), 'from the browser');
      await agent.do({ cmd: 'publish', data: b64('to the browser'), topic: 'tls-agent' });
      await tab.waitFor((e) => e.type === 'data' && e.topic === 'tls-agent', 10000, 'data from the agent');
      await tab.disconnect();
    });
  } catch (err) {
    err.message += `\n${browser.consoleText()}`;
    throw err;
  } finally {
    await browser.close();
  }
});

test('clients that do not trust the CA are refused', { timeout: 60000 }, async (srv) => {
  const before = metric(await scrape(), 'dcsfu_tls_handshake_failures_total{reason="refused"}');
  await assert.rejects(httpsRequest(`${srv.httpUrl}/`), (err) => {
    assert.match(err.code ?? '', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    return true;
  });
  const listed = await listRoomsInChild(srv, {});
  assert.equal(listed.ok, false, 'RoomServiceClient without the CA must fail');
  assert.match(listed.error, /CERT|certificate/i);
  // rtc-node trusting another CA only
  const a = await startAgent(srv, {
    identity: 'stranger', room: randomRoom('tls-refused'), connect: false,
    env: { SSL_CERT_FILE: file('other-ca.pem') },
  });
  try {
    const ev = await a.next((e) => e.event === 'connectError' || e.event === 'connected', 40000, 'the connect result');
    assert.equal(ev.event, 'connectError', `rtc-node connected without trusting the CA: ${JSON.stringify(ev)}`);
  } finally {
    await a.stop();
  }
  await waitMetric('dcsfu_tls_handshake_failures_total{reason="refused"}', (v) => v >= before + 2, 5000,
    'refused handshakes are counted');
});

test('SIGHUP: new connections get the new certificate, connected participants stay, a bad one is refused', { timeout: 120000 }, async (srv) => {
  requireNetns();
  assert.equal(await servedFingerprint(srv), certA.fingerprint);
  const room = randomRoom('tls-reload');
  const grant = { canUpdateOwnMetadata: true };
  await withAgents(srv, [{ identity: 'A', room, grant }, { identity: 'B', room }], async ([a, bAgent]) => {
    await awaitPeers(a, ['B']);
    await a.do({ cmd: 'publish', data: b64('before'), topic: 'before' });
    await bAgent.next(isData('before'), 10000, 'data before the reload');

    install(certB);
    srv.proc.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while (await servedFingerprint(srv) !== certB.fingerprint) {
      assert.ok(Date.now() < deadline, 'the new certificate is served within 5 s of SIGHUP');
      await delay(50);
    }
    // the participants that joined with the old certificate carry on, signaling included
    await a.do({ cmd: 'publish', data: b64('after'), topic: 'after' });
    await bAgent.next(isData('after'), 10000, 'data after the reload');
    await a.do({ cmd: 'setMetadata', metadata: 'still here' });
    await bAgent.next((e) => e.event === 'metadataChanged' && e.identity === 'A', 10000, 'metadata over the old connection');
    // and a newcomer joins over the new certificate (RSA this time)
    const c = await startAgent(srv, { identity: 'C', room });
    try {
      await awaitPeers(c, ['A', 'B']);
      await bAgent.do({ cmd: 'publish', data: b64('to C'), topic: 'to-c' });
      await c.next(isData('to-c'), 10000, 'data to the newcomer');
    } finally {
      await c.stop();
    }

    // a key that does not match: logged, the current certificate stays
    install({ chain: certA.chain, key: certB.key });
    srv.proc.kill('SIGHUP');
    await waitMetric('dcsfu_tls_reloads_total{result="failed"}', (v) => v === 1, 5000, 'the bad reload is counted');
    assert.match(srv.stderr, /TLS reload failed, keeping the current certificate/);
    assert.equal(await servedFingerprint(srv), certB.fingerprint);
    await a.do({ cmd: 'publish', data: b64('still'), topic: 'still' });
    await bAgent.next(isData('still'), 10000, 'data after the failed reload');
    assert.equal(a.takeAll('disconnected').length + bAgent.takeAll('disconnected').length, 0);
    assert.equal(a.takeAll('reconnecting').length + bAgent.takeAll('reconnecting').length, 0);
  });
  const text = await scrape();
  assert.equal(metric(text, 'dcsfu_tls_reloads_total{result="ok"}'), 1);
  install(certB);
});

/** Writes bytes on a raw TCP connection; resolves with what came back once the server closed it. */
function rawExchange(port, bytes, ms) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connection still open after ${ms} ms`)); }, ms);
    sock.on('connect', () => { if (bytes.length) sock.write(bytes); });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

test('plaintext HTTP gets a 400, garbage and stalled handshakes are closed, TLS carries on', { timeout: 60000 }, async (srv) => {
  const port = portOf(srv);
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /TLS only/);
  // a TLS record header around a nonsense ClientHello, and bytes that are neither
  const bad = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20, 0x01, 0x00, 0x00, 0x1c]), crypto.randomBytes(28)]);
  await rawExchange(port, bad, 5000);
  await rawExchange(port, Buffer.from([0x00, 0xff, 0x13, 0x37]), 5000);
  await rawExchange(port, crypto.randomBytes(70000).fill(0x17, 0, 1), 5000);
  // half a ClientHello, then nothing: closed by the handshake deadline (10 s)
  const t0 = Date.now();
  await rawExchange(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 20000);
  assert.ok(Date.now() - t0 >= 9000, `stalled handshake closed after ${Date.now() - t0} ms`);
  // the port still serves TLS clients
  assert.equal((await httpsRequest(`${srv.httpUrl}/`, { ca: CA })).status, 200);
  const text = await scrape();
  assert.ok(metric(text, 'dcsfu_tls_handshake_failures_total{reason="plaintext"}') >= 1);
  assert.ok(metric(text, 'dcsfu_tls_handshake_failures_total{reason="timeout"}') >= 1);
  assert.ok(metric(text, 'dcsfu_tls_handshake_failures_total{reason="refused"}') >= 2);
});

test('a certificate that does not load stops the start with exit status 2', { timeout: 20000 }, async () => {
  const run = (body) => new Promise((resolve) => {
    execFile(process.env.DCSFU_BIN ? path.resolve(REPO_ROOT, process.env.DCSFU_BIN) : path.join(REPO_ROOT, 'bin/dcsfu'),
      ['--dev', '--bind', '127.0.0.1', '--port', '1', '--config-body', body], { timeout: 10000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
  });
  fs.writeFileSync(file('mismatch-key.pem'), certB.key, { mode: 0o600 });
  let r = await run(`tls:\n  cert_file: ${file('leaf-a.pem')}\n  key_file: ${file('mismatch-key.pem')}\n`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /private key does not match/);
  r = await run(`tls:\n  cert_file: ${file('leaf-a.pem')}\n`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /must be set together/);
  fs.chmodSync(file('mismatch-key.pem'), 0o644);
  r = await run(`tls:\n  cert_file: ${file('leaf-a.pem')}\n  key_file: ${file('mismatch-key.pem')}\n`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /others may access it/);
});

process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
