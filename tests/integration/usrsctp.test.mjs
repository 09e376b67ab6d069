// The other SCTP stack: with `rtc.sctp: usrsctp` (a dcsfu key) the server runs its data
// channels on usrsctp instead of its own SCTP. Two and three @livekit/rtc-node clients
// exchange reliable and lossy data, a large message and 1,000 messages in order, with 10%
// UDP loss on the last run. The rest of the suite runs on the default (native) stack.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { useServer } from './helpers.mjs';
import { KIND } from './agent.mjs';
import {
  assertBurst, assertData, b64, burstResult, inRoom, isData, nftInputRules, nftReset, warmUp,
} from './rtc-node-room.mjs';

const nodeIp = process.env.DCSFU_NODE_IP;
const { test } = useServer({
  label: 'usrsctp',
  config: { rtc: { sctp: 'usrsctp', ...(nodeIp ? { node_ip: nodeIp } : {}) } },
});

test('usrsctp: reliable, lossy and a 60,000-byte message between rtc-node clients', { timeout: 60000 }, async (srv) => {
  assert.match(srv.stderr, /data plane ready.*sctp=usrsctp/, 'the server runs on usrsctp');
  await inRoom(srv, ['A', 'B', 'C'], async ([A, B, C]) => {
    const payload = crypto.randomBytes(200);
    await A.do({ cmd: 'publish', data: b64(payload), topic: 'chat', reliable: true });
    for (const r of [B, C])
      assertData(await r.next(isData('chat'), 5000, 'reliable from A'), { identity: 'A', kind: KIND.RELIABLE, topic: 'chat', data: payload });
    let lossy = null;
    for (let i = 0; i < 5 && !lossy; i++) {
      await B.do({ cmd: 'publish', data: b64(`lossy ${i}`), topic: 'lossy', reliable: false, destinations: ['C'] });
      lossy = await C.next(isData('lossy'), 1000, 'lossy from B').catch(() => null);
    }
    assert.ok(lossy, 'a lossy message arrived');
    assertData(lossy, { identity: 'B', kind: KIND.LOSSY, topic: 'lossy' });
    const big = await A.do({ cmd: 'publish', size: 60000, seed: 3, topic: 'big' });
    const got = await B.next(isData('big'), 10000, '60,000-byte message');
    assert.equal(got.sha256, big.sha256, 'same bytes');
  });
});

test('usrsctp: 1,000 reliable messages complete and in order with 10% UDP loss each way', { timeout: 120000 }, async (srv, t) => {
  await inRoom(srv, ['A', 'B'], async ([A, B]) => {
    await warmUp(A, [B]);
    try {
      nftInputRules([
        `udp dport ${srv.udpPort} numgen random mod 10 0 drop`,
        `udp sport ${srv.udpPort} numgen random mod 10 0 drop`,
      ]);
      const t0 = Date.now();
      await A.do({ cmd: 'burst', count: 1000, size: 512, topic: 'burst-u' }, 90000);
      const end = await burstResult(B, 'burst-u', 90000);
      t.diagnostic(`usrsctp, 10% loss: ${end.count} of 1000 after ${end.t - t0} ms`);
      assertBurst(end, 1000);
    } finally {
      nftReset();
    }
  });
});
