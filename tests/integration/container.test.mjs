// The container image's steps, without a container engine: docker/build.sh (the script the
// Dockerfile's build stage runs) installs into a temporary DESTDIR; the installed layout is
// checked, every shared library the installed binary loads must come from a Debian package in
// the runtime package list (what the runtime stage installs), the installed binary serves with
// the installed config and answers the installed health check, and the Dockerfile and
// compose.yaml carry the instructions the image relies on.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { REPO_ROOT, delay, freeTcpPort, freeUdpPort } from './helpers.mjs';

const BUILD_SH = path.join(REPO_ROOT, 'docker', 'build.sh');
const KEY = 'containerkey';
const SECRET = 'container-test-secret-of-more-than-32-characters';

let destdir;
let installed; // { bin, health, config, pkgList }

before(() => {
  destdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-destdir-'));
  const r = spawnSync(BUILD_SH, [REPO_ROOT], {
    env: { ...process.env, DESTDIR: destdir }, encoding: 'utf8', timeout: 300000,
  });
  assert.equal(r.status, 0, `docker/build.sh failed\n${r.stdout}\n${r.stderr}`);
  installed = {
    bin: path.join(destdir, 'usr/local/bin/dcsfu'),
    health: path.join(destdir, 'usr/local/bin/dcsfu-healthcheck'),
    config: path.join(destdir, 'etc/dcsfu/livekit.yaml'),
    pkgList: path.join(destdir, 'usr/local/share/dcsfu/runtime-packages.txt'),
  };
});

after(() => {
  if (destdir) fs.rmSync(destdir, { recursive: true, force: true });
});

/** Environment without the LIVEKIT_* variables the caller may have set. */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of ['LIVEKIT_KEYS', 'LIVEKIT_CONFIG', 'NODE_IP', 'UDP_PORT', 'LIVEKIT_REGION']) delete env[k];
  return { ...env, ...extra };
}

function runtimePackages() {
  const out = execFileSync(BUILD_SH, ['--runtime-packages'], { encoding: 'utf8' });
  return new Set(out.split('\n').filter(Boolean));
}

/** The Debian package owning a library path, trying the merged-/usr spellings. */
function owningPackage(lib) {
  const candidates = new Set([lib, fs.realpathSync(lib)]);
  for (const p of [...candidates]) {
    if (p.startsWith('/usr/')) candidates.add(p.slice(4));
    else candidates.add(`/usr${p}`);
  }
  for (const p of candidates) {
    const r = spawnSync('dpkg', ['-S', p], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.split(':')[0].trim();
  }
  return null;
}

test('build.sh installs the binary, the health check, the config and the package list', () => {
  const mode = (f) => fs.statSync(f).mode & 0o777;
  assert.equal(mode(installed.bin), 0o755);
  assert.equal(mode(installed.health), 0o755);
  assert.equal(mode(installed.config), 0o644);
  assert.equal(fs.readFileSync(installed.config, 'utf8'),
    fs.readFileSync(path.join(REPO_ROOT, 'livekit.yaml.example'), 'utf8'));
  assert.equal(fs.readFileSync(installed.pkgList, 'utf8'),
    fs.readFileSync(path.join(REPO_ROOT, 'docker', 'runtime-packages.txt'), 'utf8'));
  assert.equal(fs.readFileSync(installed.bin).subarray(0, 4).toString('latin1'), '\x7fELF');
  const r = spawnSync(installed.bin, ['--help'], { encoding: 'utf8', env: cleanEnv(), timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /generate-keys/);
});

test('every shared library of the installed binary comes from a listed runtime package', () => {
  const listed = runtimePackages();
  assert.ok(listed.has('libuv1') && listed.has('libusrsctp2'), [...listed].join(' '));
  const out = execFileSync('ldd', [installed.bin], { encoding: 'utf8' });
  assert.doesNotMatch(out, /not found/);
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) || /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  assert.ok(libs.length >= 10, out);
  const missing = [];
  for (const lib of libs) {
    const pkg = owningPackage(lib);
    if (!pkg || !listed.has(pkg.replace(/:.*$/, ''))) missing.push(`${lib} (${pkg ?? 'no package'})`);
  }
  assert.deepEqual(missing, [], 'libraries from packages missing in docker/runtime-packages.txt');
});

/** Starts the installed binary; resolves once GET / answered 200. */
async function startInstalled(args, env) {
  const proc = spawn(installed.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  proc.stdout.resume();
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, log: () => stderr };
}

async function waitFor200(port, srv) {
  const deadline = Date.now() + 10000;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    const done = await Promise.race([srv.exited, delay(50).then(() => null)]);
    if (done) assert.fail(`server exited (${JSON.stringify(done)})\n${srv.log()}`);
  }
  srv.proc.kill('SIGKILL');
  assert.fail(`no 200 on GET / within 10 s (${last})\n${srv.log()}`);
}

async function stopClean(srv) {
  srv.proc.kill('SIGTERM');
  const res = await Promise.race([srv.exited, delay(5000).then(() => null)]);
  if (!res) {
    srv.proc.kill('SIGKILL');
    assert.fail(`no exit within 5 s of SIGTERM\n${srv.log()}`);
  }
  assert.deepEqual(res, { code: 0, signal: null }, srv.log());
}

const health = (port) => spawnSync(installed.health, [String(port)], { encoding: 'utf8', timeout: 10000 });

test('the installed binary serves with the installed config and keys; the health check follows it', async () => {
  const port = await freeTcpPort();
  const udp = await freeUdpPort();
  const srv = await startInstalled(
    ['--config', installed.config, '--bind', '127.0.0.1', '--port', String(port), '--udp-port', String(udp)],
    cleanEnv({ LIVEKIT_KEYS: `${KEY}: ${SECRET}` }),
  );
  await waitFor200(port, srv);
  const h = health(port);
  assert.equal(h.status, 0, `health check: ${h.stderr}`);
  await stopClean(srv);
  assert.notEqual(health(port).status, 0, 'health check passes with the server gone');
  assert.doesNotMatch(srv.log(), new RegExp(SECRET));
});

test('LIVEKIT_CONFIG takes the place of the image\'s --config file', async () => {
  const port = await freeTcpPort();
  const udp = await freeUdpPort();
  const body = fs.readFileSync(installed.config, 'utf8')
    .replace(/^port: 7880$/m, `port: ${port}`)
    .replace(/^ {2}udp_port: 7882$/m, `  udp_port: ${udp}`)
    .replace(/^# keys:\n# {3}APIexamplekey: .*$/m, `keys:\n  ${KEY}: ${SECRET}`)
    .replace(/^# bind_addresses:\n# {3}- 127\.0\.0\.1$/m, 'bind_addresses:\n  - 127.0.0.1');
  assert.match(body, new RegExp(`^port: ${port}$`, 'm'));
  assert.match(body, /^keys:$/m);
  assert.match(body, /^bind_addresses:$/m);
  // the image's default command: --config FILE; the file's port 7880 must not be used
  const srv = await startInstalled(['--config', installed.config], cleanEnv({ LIVEKIT_CONFIG: body, DCSFU_HEALTH_PORT: String(port) }));
  await waitFor200(port, srv);
  const h = spawnSync(installed.health, [], {
    encoding: 'utf8', timeout: 10000, env: { ...process.env, DCSFU_HEALTH_PORT: String(port) },
  });
  assert.equal(h.status, 0, `health check: ${h.stderr}`);
  await stopClean(srv);
});

/** Dockerfile instructions: continuation lines joined, comments dropped. */
function dockerInstructions(text) {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    return { op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') };
  });
}

test('Dockerfile: two bookworm-slim stages, build.sh, runtime packages, non-root, ports, health, entrypoint', () => {
  const ins = dockerInstructions(fs.readFileSync(path.join(REPO_ROOT, 'docker', 'Dockerfile'), 'utf8'));
  const froms = ins.map((x, i) => ({ ...x, i })).filter((x) => x.op === 'FROM');
  assert.equal(froms.length, 2);
  for (const f of froms) assert.match(f.args, /^debian:bookworm-slim(\s|$)/);
  const build = ins.slice(froms[0].i, froms[1].i);
  const runtime = ins.slice(froms[1].i);
  const stageName = /\sAS\s+(\S+)/i.exec(froms[0].args)?.[1];
  assert.ok(stageName, 'the build stage is named');
  assert.ok(build.some((x) => x.op === 'RUN' && /docker\/build\.sh/.test(x.args)), 'build stage runs docker/build.sh');
  assert.ok(runtime.some((x) => x.op === 'COPY' && x.args.includes(`--from=${stageName}`)), 'runtime copies the installed files');
  assert.ok(runtime.some((x) => x.op === 'RUN' && /apt-get install/.test(x.args) && /runtime-packages\.txt/.test(x.args)),
    'runtime stage installs the listed runtime packages');
  assert.ok(!runtime.some((x) => x.op === 'RUN' && /build-essential|-dev\b/.test(x.args)), 'no build tools at run time');
  const users = runtime.filter((x) => x.op === 'USER');
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0].args, /^(root|0)(:|$)/);
  const userAt = runtime.indexOf(users[0]);
  assert.ok(runtime.slice(0, userAt).some((x) => x.op === 'RUN' && x.args.includes(`useradd`) && x.args.includes(users[0].args)),
    'the USER is created');
  assert.ok(!runtime.slice(userAt + 1).some((x) => x.op === 'USER'));
  const exposed = runtime.filter((x) => x.op === 'EXPOSE').flatMap((x) => x.args.split(' '));
  assert.ok(exposed.includes('7880/tcp') && exposed.includes('7882/udp'), exposed.join(' '));
  const hc = runtime.filter((x) => x.op === 'HEALTHCHECK');
  assert.equal(hc.length, 1);
  const hcCmd = /\bCMD\s+(.*)$/.exec(hc[0].args)?.[1];
  assert.ok(hcCmd, hc[0].args);
  const hcArgv = JSON.parse(hcCmd);
  assert.ok(fs.existsSync(path.join(destdir, hcArgv[0])), `health check program ${hcArgv[0]} is installed`);
  const last = (op) => runtime.filter((x) => x.op === op).at(-1)?.args;
  assert.deepEqual(JSON.parse(last('ENTRYPOINT')), ['/usr/local/bin/dcsfu']);
  assert.ok(fs.existsSync(path.join(destdir, 'usr/local/bin/dcsfu')));
  const cmd = JSON.parse(last('CMD'));
  assert.deepEqual(cmd, ['--config', '/etc/dcsfu/livekit.yaml']);
  assert.ok(fs.existsSync(path.join(destdir, cmd[1])));
  const ignore = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const d of ['build', 'bin', 'node_modules']) assert.ok(ignore.includes(d), `.dockerignore lists ${d}`);
});

test('compose.yaml: ports, mounted config, keys from the environment, restart policy, health check', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docker', 'compose.yaml'), 'utf8');
  const live = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  assert.match(live, /^ {6}- "7880:7880\/tcp"/m);
  assert.match(live, /^ {6}- "7882:7882\/udp"/m);
  assert.match(live, /^ {6}- \.\/livekit\.yaml:\/etc\/dcsfu\/livekit\.yaml:ro$/m);
  assert.match(live, /^ {6}LIVEKIT_KEYS: /m);
  assert.match(live, /^ {4}restart: unless-stopped$/m);
  assert.match(live, /^ {4}healthcheck:\n {6}test: \["CMD", "\/usr\/local\/bin\/dcsfu-healthcheck"\]$/m);
  assert.match(text, /node_ip/);
  assert.match(text, /LIVEKIT_CONFIG/);
});
