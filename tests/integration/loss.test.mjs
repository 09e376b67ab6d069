// Random UDP loss on the server's port (nftables in the test's private network namespace, the
// same rate each way): between two @livekit/rtc-node clients, 1,000 reliable 256-byte messages
// arrive complete and in order, and lossy messages arrive roughly in proportion to the loss, at
// 10%, 20% and 30%. Each test reports how long delivery took and the server's SCTP counters
// (t.diagnostic). 256 bytes lets SCTP bundle a few messages per packet, as chat and state
// updates do; the 1 KiB, one-message-per-packet case at 10% is in data-rtc-node.test.mjs (at
// 30% it took 51 s in one run and over 180 s in another).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { delay, freeTcpPort, useServer } from './helpers.mjs';
import {
  NFT_TABLE, assertBurst, burstResult, inRoom, nftInputRules, nftReset, warmUp,
} from './rtc-node-room.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const metricsPort = await freeTcpPort();
const { test } = useServer({
  label: 'loss',
  config: { prometheus: { port: metricsPort }, ...(nodeIp ? { rtc: { node_ip: nodeIp } } : {}) },
});

/** The server's DataPackets of `kind` in and out (where the loss happened: before or after it). */
async function serverCounts(kind) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const get = (name) => Number(text.match(new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
  const drops = [...text.matchAll(/^dcsfu_data_dropped_total\{reason="(\w+)"\} (\d+)/gm)]
    .filter((m) => m[2] !== '0').map((m) => `${m[1]} ${m[2]}`);
  const sctp = [...text.matchAll(/^dcsfu_sctp_(retransmissions_total|sacks_total|packets_total)\{(\w+)="(\w+)"\} (\d+)/gm)]
    .map((m) => `${m[1].replace('_total', '')} ${m[3]} ${m[4]}`);
  return { in: get('dcsfu_data_packets_in_total'), out: get('dcsfu_data_packets_out_total'), drops, sctp };
}

/** Resolves with the time the server has received `n` more reliable packets than `base`. */
async function serverReceived(base, n, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await serverCounts('reliable')).in - base >= n) return Date.now();
    await delay(250);
  }
  return NaN;
}

const RELIABLE = 1000;
const SIZE = 256;
const LOSSY = 400;

/** Drops `pct`% of the datagrams to and from the server's UDP port; counts them all. */
function lossRules(port, pct) {
  return [
    `udp dport ${port} counter`,
    `udp sport ${port} counter`,
    `udp dport ${port} numgen random mod 100 < ${pct} counter drop`,
    `udp sport ${port} numgen random mod 100 < ${pct} counter drop`,
  ];
}

function counters() {
  const listing = execFileSync('nft', ['list', 'table', 'inet', NFT_TABLE], { encoding: 'utf8' });
  return [...listing.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
}

/** What B has counted on `topic` (lossy messages: the last one may never come). */
async function countOf(B, topic) {
  B.send({ cmd: 'counters' });
  const c = await B.next('counters', 5000, 'counters');
  return c.bursts.find((b) => b.topic === topic) ?? { count: 0, disorder: 0, bad: 0 };
}

for (const pct of (process.env.LOSS_PCTS ?? "10,20,30").split(",").map(Number)) {
  test(`${pct}% loss each way: ${RELIABLE} reliable messages complete and in order, lossy in proportion`,
    { timeout: 240000 }, async (srv, t) => {
      await inRoom(srv, ['A', 'B'], async ([A, B]) => {
        await warmUp(A, [B]);
        try {
          const base = (await serverCounts('reliable')).in;
          nftInputRules(lossRules(srv.udpPort, pct));
          const t0 = Date.now();
          const atServer = serverReceived(base, RELIABLE, 180000);
          const sent = await A.do({ cmd: 'burst', count: RELIABLE, size: SIZE, topic: `burst-r${pct}` }, 180000);
          const end = await burstResult(B, `burst-r${pct}`, 180000);
          const c = counters();
          t.diagnostic(`${pct}% loss: ${RELIABLE} x ${SIZE} B reliable, sender done in ${sent.ms} ms, `
            + `all at the server after ${(await atServer) - t0} ms, at the receiver (${end.count}) after ${end.t - t0} ms; `
            + `datagrams to/from the server ${c[0]}/${c[1]}, dropped ${c[2]}/${c[3]}`);
          t.diagnostic(`${pct}% loss: server SCTP so far: ${(await serverCounts('reliable')).sctp.join(', ')}`);
          assert.ok(c[2] > 0 && c[3] > 0, `loss happened both ways: ${c}`);
          assertBurst(end, RELIABLE);

          // lossy: no retransmission, so about (1 - p)^2 of them cross both legs
          const before = await serverCounts('lossy');
          await A.do({ cmd: 'burst', count: LOSSY, size: 100, reliable: false, topic: `burst-l${pct}` }, 60000);
          await delay(2000);
          const lossy = await countOf(B, `burst-l${pct}`);
          const after = await serverCounts('lossy');
          t.diagnostic(`${pct}% loss: lossy at the server: ${after.in - before.in} in, ${after.out - before.out} out; `
            + `drops so far: ${after.drops.join(', ') || 'none'}`);
          const expect = (1 - pct / 100) ** 2;
          const got = lossy.count / LOSSY;
          t.diagnostic(`${pct}% loss: lossy ${lossy.count} of ${LOSSY} arrived (${(got * 100).toFixed(1)}%, `
            + `expected about ${(expect * 100).toFixed(0)}%)`);
          assert.equal(lossy.bad, 0, 'lossy payloads intact');
          assert.ok(got > expect - 0.2 && got < Math.min(1, expect + 0.2) + 1e-9,
            `lossy delivery ${got} is near ${expect}`);
        } finally {
          nftReset();
        }
      });
    });
}
