// Signaling benchmark: prints figures, asserts nothing.
//
//   node bench/signaling.mjs [participants=1000] [rooms=10]
//
// Starts bin/dcsfu (or $DCSFU_BIN) on free loopback ports with warn-level logs, joins
// `participants` signaling-only clients over /rtc/v1 spread across `rooms` rooms (50 joins in
// flight at a time), and reports:
//   - upgrade -> JoinResponse: time from the 101 response reaching the client to the first
//     frame (the JoinResponse) arriving, p50/p99/max over all joins (loopback, client-side);
//   - server RSS before any join, with everyone connected, and the difference per participant.
import fs from 'node:fs';
import WebSocket from 'ws';
import { SignalResponse } from '@livekit/protocol';
import {
  startServer, makeToken, encodeJoinRequest, defaultJoinRequest,
} from '../tests/integration/helpers.mjs';

const N = Number(process.argv[2] ?? 1000);
const ROOMS = Number(process.argv[3] ?? 10);
const IN_FLIGHT = 50;

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function joinOne(srv, room, identity) {
  const token = await makeToken({ identity, room, ttl: '1h' });
  const jr = encodeJoinRequest(defaultJoinRequest());
  const url = `${srv.wsUrl}/rtc/v1?access_token=${token}&join_request=${encodeURIComponent(jr)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let t0 = 0n;
    ws.on('upgrade', () => { t0 = process.hrtime.bigint(); });
    ws.once('message', (data) => {
      const t1 = process.hrtime.bigint();
      const msg = SignalResponse.fromBinary(new Uint8Array(data));
      if (msg.message.case !== 'join') reject(new Error(`first frame ${msg.message.case}`));
      resolve({ ws, us: Number(t1 - t0) / 1000 });
    });
    ws.on('error', reject);
  });
}

// Every join comes from one address, far faster than limit.max_connections_per_ip_per_second
// allows a single client: the benchmark measures the server, so that cap is off.
const srv = await startServer({ config: { logging: { level: 'warn' }, limit: { max_connections_per_ip_per_second: 0 } } });
try {
  await new Promise((r) => setTimeout(r, 300));
  const rss0 = rssKiB(srv.proc.pid);
  const times = [];
  const sockets = [];
  let next = 0;
  const t0 = Date.now();
  async function worker() {
    while (next < N) {
      const i = next++;
      const { ws, us } = await joinOne(srv, `bench-${i % ROOMS}`, `p${i}`);
      ws.on('message', () => {});
      sockets.push(ws);
      times.push(us);
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsed = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const rss1 = rssKiB(srv.proc.pid);
  times.sort((a, b) => a - b);
  console.log(`participants ${N} in ${ROOMS} rooms, joined in ${elapsed} ms`);
  console.log(`upgrade->JoinResponse us: p50 ${pct(times, 0.5).toFixed(0)} p99 ${pct(times, 0.99).toFixed(0)} max ${times[times.length - 1].toFixed(0)}`);
  console.log(`server RSS KiB: idle ${rss0}, with ${N} connected ${rss1}, per participant ${((rss1 - rss0) / N).toFixed(1)}`);
  for (const ws of sockets) ws.terminate();
} finally {
  await srv.stop();
}
