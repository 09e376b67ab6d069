// The systemd unit in dist/systemd/dcsfu.service: `systemd-analyze verify` accepts it without a
// single remark about the unit, and `systemd-analyze security --offline` rates its sandbox at
// exposure 4.0 or better. The unit is checked as a temporary copy whose ExecStart names the
// binary under test instead of /usr/local/bin/dcsfu, which the test machine need not have.
// systemd-analyze works without a running systemd; without it the test fails (scripts/setup.sh
// --test installs Debian's `systemd` package, which provides it).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { serverBinary } from './helpers.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const UNIT = path.join(REPO_ROOT, 'dist', 'systemd', 'dcsfu.service');
const INSTALLED_BIN = '/usr/local/bin/dcsfu';

function analyze(args) {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 30000 });
  if (r.error) {
    assert.fail(`systemd-analyze cannot run (${r.error.message}): install Debian's systemd package`
      + ' (scripts/setup.sh --test does)');
  }
  return r;
}

/** Writes the unit (text) as dcsfu.service in a fresh directory and returns its path. */
function unitCopy(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcsfu-unit-'));
  const file = path.join(dir, 'dcsfu.service');
  fs.writeFileSync(file, text);
  return file;
}

/** The repository's unit with ExecStart pointing at the binary under test. */
function unitUnderTest() {
  const text = fs.readFileSync(UNIT, 'utf8');
  const line = `ExecStart=${INSTALLED_BIN} --config /etc/dcsfu/livekit.yaml\n`;
  assert.ok(text.includes(line), `${UNIT} has no line ${JSON.stringify(line)}`);
  const bin = serverBinary();
  assert.ok(fs.existsSync(bin), `${bin} is not built: run make`);
  return text.replace(line, `ExecStart=${bin} --config /etc/dcsfu/livekit.yaml\n`);
}

/** Runs `systemd-analyze verify` on a copy of text; returns exit status and output lines. */
function verify(text) {
  const file = unitCopy(text);
  try {
    const r = analyze(['verify', file]);
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    return { status: r.status, lines, file };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

test('systemd-analyze verify accepts the unit without a remark about it', () => {
  const { status, lines } = verify(unitUnderTest());
  const own = lines.filter((l) => l.includes('dcsfu.service') || l.includes('dcsfu-unit-'));
  assert.deepEqual(own, [], `remarks about the unit:\n${lines.join('\n')}`);
  assert.equal(status, 0, `systemd-analyze verify exit status; output:\n${lines.join('\n')}`);
});

test('systemd-analyze verify does report a broken copy of the unit (the check above can fail)', () => {
  const text = unitUnderTest()
    .replace('LockPersonality=yes\n', 'LockPersonalty=yes\n')
    .replace('ProtectSystem=strict\n', 'ProtectSystem=bogus\n');
  const { lines } = verify(text);
  const own = lines.filter((l) => l.includes('dcsfu.service'));
  assert.ok(own.some((l) => /Unknown key.*LockPersonalty/.test(l)), `output:\n${lines.join('\n')}`);
  assert.ok(own.some((l) => /protect system value/i.test(l)), `output:\n${lines.join('\n')}`);
});

test('the unit carries the settings dcsfu depends on', () => {
  const text = fs.readFileSync(UNIT, 'utf8');
  const want = [
    'Type=exec', // dcsfu does not speak sd_notify
    'ExecReload=/bin/kill -HUP $MAINPID',
    'KillSignal=SIGTERM',
    'Restart=on-failure',
    'DynamicUser=yes',
    'ConfigurationDirectory=dcsfu',
    'StateDirectory=dcsfu',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
    'LimitNOFILE=65536',
    'CapabilityBoundingSet=',
  ];
  const lines = new Set(text.split('\n'));
  for (const w of want) assert.ok(lines.has(w), `missing line ${w}`);
  // the stop timeout must outlast the default 30 s drain, or systemd's SIGKILL ends it
  const m = /^TimeoutStopSec=(\d+)s$/m.exec(text);
  assert.ok(m, 'TimeoutStopSec=<seconds>s');
  assert.ok(Number(m[1]) > 30, `TimeoutStopSec=${m[1]}s is not above the 30 s drain`);
});

test('systemd-analyze security rates the sandbox at exposure 4.0 or better', () => {
  const file = unitCopy(unitUnderTest());
  try {
    const r = analyze(['security', '--offline=true', '--threshold=40', '--no-pager', file]);
    const out = `${r.stdout}${r.stderr}`;
    const m = /Overall exposure level for dcsfu\.service: (\d+\.\d)/.exec(out);
    assert.ok(m, `no exposure level in:\n${out}`);
    assert.equal(r.status, 0, `exposure ${m[1]} is above 4.0:\n${out}`);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});
