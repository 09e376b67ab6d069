// Churn and soak, short form. bench/soak.mjs runs 20 @livekit/rtc-node participants over 5 rooms
// for 60 s: each stays 3-12 s and leaves, a fresh one takes its place, and every 20 s a client
// process holding 5 of them gets SIGKILL; meanwhile each sends 5 reliable and 2 lossy messages a
// second to its room. Checked: every reliable message sent while a receiver was in the room
// reached it exactly once and in order (bench/soak-ledger.mjs says what "in the room" means);
// no participant was disconnected without asking; server RSS at the end of the churn and after
// everyone left within max(2 MiB, 10 %) of RSS after the 15 s warm-up (not under
// AddressSanitizer, whose quarantine keeps freed memory: there LeakSanitizer checks at exit);
// fds back to the count before the first join; livekit_room_total, livekit_participant_total,
// dcsfu_peer_connections and dcsfu_data_queued back to 0; the server exits 0 on SIGTERM with no
// sanitizer report (useServer). The long form (50 participants, 10 minutes) is
// `bash bench/run-soak.sh`; its last result is in docs/BENCHMARKS.md.
// Needs the network namespace of scripts/test-integration.sh (DCSFU_NODE_IP).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test as plainTest } from 'node:test';

import { freeTcpPort, makeToken, useServer } from './helpers.mjs';
import { formatReport, runSoak, soakProblems } from '../../bench/soak.mjs';
import { Ledger, LOSSY, RELIABLE } from '../../bench/soak-ledger.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const metricsPort = await freeTcpPort();
const config = { prometheus: { port: metricsPort }, room: { departure_timeout: 1 } };
if (nodeIp) config.rtc = { node_ip: nodeIp };
const { test } = useServer({ label: 'soak', config });

plainTest('the ledger: windows, reasons, duplicates and order', () => {
  const l = new Ledger({ grace: 1000 });
  // room r: A sends; B stays, C leaves gracefully, D is killed, E joins late
  for (const id of [1, 2, 3, 4, 5]) l.add(id, 'r');
  l.add(6, 'other');
  l.joined(1, 0); l.joined(2, 0); l.joined(3, 0); l.joined(4, 0); l.joined(5, 5000); l.joined(6, 0);
  for (let seq = 0; seq < 10; seq++) l.sent(1, RELIABLE, seq, seq * 1000, seq * 1000 + 1);
  l.sent(1, LOSSY, 0, 100, 101);
  l.refused(1, RELIABLE, 10, 'too big');
  l.leaving(3, 4500); l.left(3, 6000);
  l.ended(4, 8000, 'killed');
  l.leaving(1, 9500); l.left(1, 11000);
  // B: everything, one duplicate, seqs 7 and 8 swapped
  for (const seq of [0, 1, 2, 3, 4, 5, 6, 8, 7, 9, 9]) l.delivered(2, 1, seq, RELIABLE, 1);
  // C: 0..3 and 5 (after it started leaving); 4 not delivered (sent after leaving: tail)
  for (const seq of [0, 1, 2, 3, 5]) l.delivered(3, 1, seq, RELIABLE, 1);
  // D: 0..5 but 2 missing (no reason); 6 (sent before kill - grace) missing; 7 in the tail
  for (const seq of [0, 1, 3, 4, 5]) l.delivered(4, 1, seq, RELIABLE, 1);
  // E: from 5 on, but 6 missing
  for (const seq of [4, 5, 7, 8, 9]) l.delivered(5, 1, seq, RELIABLE, 1);
  l.delivered(2, 1, 0, LOSSY, 1);
  const t = l.settle();
  const r = t[RELIABLE];
  assert.equal(r.sent, 10);
  assert.deepEqual(r.refused, { 'too big': 1 });
  // B 10, C 0..4 (tr < 4500: 5), D 0..6 (tr < 7000: 7), E 5..9 (5)
  assert.equal(r.expected, 10 + 5 + 7 + 5);
  assert.deepEqual(r.missing, { 'no reason': 4 }); // C 4, D 2 and 6, E 6
  assert.equal(r.delivered, r.expected - 4);
  assert.equal(r.duplicates, 1);
  assert.equal(r.outOfOrder, 1);
  assert.equal(r.tailDelivered, 1); // C 5
  assert.deepEqual(r.tailMissing, { 'receiver killed': 1 }); // D 7 (C was gone before 6 was sent)
  assert.equal(r.extra, 1); // E got 4, sent before it joined
  assert.equal(t[LOSSY].expected, 3);
  assert.deepEqual(t[LOSSY].missing, { 'lost (lossy)': 2 });
  assert.equal(l.missingSamples.length, 4);
});

plainTest('the ledger: a killed sender\'s unflushed messages and a killed receiver\'s last reports', () => {
  const l = new Ledger({ grace: 2000 });
  for (const id of [1, 2, 3]) { l.add(id, 'r'); l.joined(id, 0); }
  for (let seq = 0; seq < 10; seq++) l.sent(1, RELIABLE, seq, seq * 100, seq * 100 + 1);
  l.ended(1, 1000, 'killed');
  // nobody got 8 or 9: sent within grace of the kill and never reached the server
  for (let seq = 0; seq < 8; seq++) l.delivered(2, 1, seq, RELIABLE, 1);
  for (let seq = 0; seq < 7; seq++) l.delivered(3, 1, seq, RELIABLE, 1);
  const r = l.settle()[RELIABLE];
  assert.equal(r.expected, 20);
  // 3 misses 7 although 2 got it: the server had it
  assert.deepEqual(r.missing, { 'sender killed before flush': 4, 'no reason': 1 });

  const k = new Ledger({ grace: 5000 });
  for (const id of [1, 2]) { k.add(id, 'r'); k.joined(id, 0); }
  for (let seq = 0; seq < 10; seq++) k.sent(1, RELIABLE, seq, seq * 1000, seq * 1000 + 1);
  k.ended(2, 9500, 'killed'); // window by time: tr < 4500, so seqs 0..4
  for (const seq of [0, 1, 2, 3, 4, 6, 7]) k.delivered(2, 1, seq, RELIABLE, 1);
  const s = k.settle()[RELIABLE];
  assert.equal(s.expected, 8, 'up to the last reported seq (7) counts');
  assert.deepEqual(s.missing, { 'no reason': 1 }, 'seq 5 is a gap');
  assert.deepEqual(s.tailMissing, { 'receiver killed': 2 }, 'seqs 8 and 9');
});

test('churn and soak: 20 participants over 5 rooms for 60 s', { timeout: 180000 }, async (srv, t) => {
  assert.ok(process.env.DCSFU_IN_NETNS === '1' && nodeIp,
    'run this through scripts/test-integration.sh (private network namespace, DCSFU_NODE_IP)');
  const asan = fs.readFileSync(`/proc/${srv.proc.pid}/maps`, 'utf8').includes('libasan');
  const r = await runSoak({
    srv, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, makeToken,
    participants: 20, rooms: 5, duration: 60, warmup: 15, stay: [3, 12], pause: [0, 1],
    rate: 5, lossyRate: 2, bytes: 200, killEvery: 20, perProc: 5,
    log: (m) => t.diagnostic(m),
  });
  const report = `${formatReport(r)}${asan ? '\n  (AddressSanitizer build: RSS not checked)' : ''}`;
  for (const line of report.split('\n')) t.diagnostic(line);
  const problems = soakProblems(r, { checkRss: !asan });
  assert.deepEqual(problems, [], report);
  assert.ok(r.counts.kills >= 2 && r.counts.killed > 0, 'client processes were killed along the way');
  assert.ok(r.counts.left > 40, 'participants came and went');
});
