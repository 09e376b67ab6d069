// Accounting for the churn and soak run (bench/soak.mjs): who was in which room when, every data
// message sent, every delivery, and at the end a verdict per (message, receiver) pair. Pure: no
// I/O, no clock; times are milliseconds on one clock shared by every process of the run
// (CLOCK_MONOTONIC through process.hrtime).
//
// A participant instance (one join of one identity) goes through
//   joined(t)      Room.connect resolved: the server has it in the room. Reliable data for a
//                  participant whose channel is not open yet is queued by the server, so its
//                  window opens here, not when its channel opens.
//   then one of
//   leaving(t) + left(t)      graceful leave: it stops sending at `leaving`, keeps receiving for
//                             a drain period, then disconnects at `left`
//   killed(t)                 its process got SIGKILL
//   disconnected(t, reason)   the SDK reported a disconnect the driver did not ask for
//   or joinFailed(t, error)   never in the room
//
// A message (sender T, kind, seq) is stamped ts when publishData is called and tr when it
// resolved (handed to the data channel). For each receiver R of the same room:
//   - the message is EXPECTED at R when ts >= R.joined and tr < R's window end: R.leaving
//     after a graceful leave (R then drains until it is caught up with every sender, see
//     soak-worker.mjs); after a kill or an unasked disconnect, `grace` before it, or any seq up
//     to the highest R got from T (reliable data is in order per sender, so those had arrived;
//     what R received in its last moments may not have been reported). Expected pairs must be
//     delivered; a missing one has a reason only when T was killed (or disconnected) within
//     `grace` after sending it and no receiver got it or any later message of T (so the server
//     never had it): "sender killed before flush". Any other reliable miss is "no reason": the
//     server lost it; a lossy one is "lost (lossy)" (the server drops lossy data for a receiver
//     whose lossy channel is not open yet or is backed up).
//   - when tr falls after R's window end but before R was gone, delivery is optional (the
//     "tail"): not delivered is counted under "receiver leaving", "receiver killed" or
//     "receiver disconnected".
//   - messages sent before R joined, or after it was gone, do not concern R; if R got one
//     anyway (possible around the join) it counts as an extra delivery.
// publishData rejections are counted per error message as refused by the SDK, not sent.
// Per (receiver, sender, kind) deliveries are checked for duplicates and order.

export const RELIABLE = 1;
export const LOSSY = 0;
const KINDS = [RELIABLE, LOSSY];

/** Receipts of one (receiver, sender, kind): contiguous from `lo` to `last` minus `gaps`, plus `low`. */
class Receipts {
  constructor(seq) {
    this.lo = seq;
    this.last = seq;
    this.gaps = null; // seqs between lo and last not received (yet)
    this.low = null; // seqs below lo received after lo
    this.n = 1;
    this.dup = 0;
    this.ooo = 0;
  }

  add(seq) {
    if (seq > this.last) {
      if (seq > this.last + 1) {
        this.gaps ??= new Set();
        for (let s = this.last + 1; s < seq; s++) this.gaps.add(s);
      }
      this.last = seq;
      this.n++;
    } else if (seq >= this.lo) {
      if (this.gaps?.delete(seq)) {
        this.ooo++;
        this.n++;
      } else {
        this.dup++;
      }
    } else if (this.low?.has(seq)) {
      this.dup++;
    } else {
      (this.low ??= new Set()).add(seq);
      this.ooo++;
      this.n++;
    }
  }

  has(seq) {
    if (seq >= this.lo && seq <= this.last) return !this.gaps?.has(seq);
    return !!this.low?.has(seq);
  }
}

function emptyTotals() {
  return {
    sent: 0, // publishData resolved
    refused: {}, // publishData rejected: error message -> count
    expected: 0,
    delivered: 0, // expected pairs delivered
    missing: {}, // expected pairs not delivered: reason -> count
    tailDelivered: 0,
    tailMissing: {}, // reason -> count
    extra: 0, // deliveries outside any window (or of sends never reported)
    received: 0, // every distinct delivery
    duplicates: 0,
    outOfOrder: 0,
    latency: { bins: new Uint32Array(10001), n: 0, max: 0 }, // 1 ms bins, last one 10 s and more
  };
}

const bump = (obj, key, n = 1) => { obj[key] = (obj[key] ?? 0) + n; };

export class Ledger {
  constructor({ grace = 5000 } = {}) {
    this.grace = grace;
    this.inst = new Map(); // id -> instance
    this.pairs = new Map(); // `${rx}|${tx}|${kind}` -> Receipts
    this.totals = { [RELIABLE]: emptyTotals(), [LOSSY]: emptyTotals() };
    this.badPayload = 0;
    this.wrongKind = 0;
    this.wrongSender = 0;
    this.unknownSender = 0;
    this.missingSamples = [];
    this.unexpectedDisconnects = [];
    this.joinFailures = [];
  }

  add(id, room) {
    const i = { id, room, joined: null, end: null, strictEnd: Infinity, gone: Infinity, sends: { [RELIABLE]: [], [LOSSY]: [] } };
    this.inst.set(id, i);
    return i;
  }

  get(id) {
    const i = this.inst.get(id);
    if (!i) throw new Error(`unknown participant instance ${id}`);
    return i;
  }

  joined(id, t) { this.get(id).joined = t; }

  joinFailed(id, t, error) {
    const i = this.get(id);
    i.end = 'failed';
    i.gone = t;
    this.joinFailures.push({ id, error });
  }

  leaving(id, t) {
    const i = this.get(id);
    if (i.end) return;
    i.end = 'leaving';
    i.strictEnd = t;
  }

  left(id, t) {
    const i = this.get(id);
    if (i.end === 'leaving') { i.end = 'left'; i.gone = t; }
  }

  /** Killed or disconnected: the window closes `grace` before t (no-op once it has ended). */
  ended(id, t, how, reason) {
    const i = this.get(id);
    if (i.end === 'left' || i.end === 'failed' || i.end === 'killed' || i.end === 'disconnected') return;
    if (how === 'disconnected') this.unexpectedDisconnects.push({ id, reason, leaving: i.end === 'leaving' });
    if (i.end === 'leaving') {
      // it was already leaving: the window closed then; it is gone now
      i.end = how === 'killed' ? 'killed' : 'left';
      i.gone = t;
      return;
    }
    i.end = how;
    i.strictEnd = Math.min(i.strictEnd, t - this.grace);
    i.gone = t;
  }

  sent(id, kind, seq, ts, tr) {
    this.get(id).sends[kind].push([seq, ts, tr]);
    this.totals[kind].sent++;
  }

  refused(id, kind, seq, message) {
    this.get(id); // must exist
    bump(this.totals[kind].refused, message);
  }

  delivered(rx, tx, seq, kind, latencyMs) {
    const key = `${rx}|${tx}|${kind}`;
    const p = this.pairs.get(key);
    const tot = this.totals[kind];
    if (!p) this.pairs.set(key, new Receipts(seq));
    else {
      const before = p.n;
      p.add(seq);
      if (p.n === before) return; // duplicate: counted by Receipts
    }
    const lat = tot.latency;
    lat.bins[Math.min(lat.bins.length - 1, Math.max(0, Math.round(latencyMs)))]++;
    lat.n++;
    if (latencyMs > lat.max) lat.max = latencyMs;
  }

  has(rx, tx, kind, seq) {
    return !!this.pairs.get(`${rx}|${tx}|${kind}`)?.has(seq);
  }

  /** The verdict per (message, receiver); returns the totals per kind (RELIABLE, LOSSY). */
  settle() {
    const byRoom = new Map();
    for (const i of this.inst.values()) {
      if (i.joined === null) continue;
      if (!byRoom.has(i.room)) byRoom.set(i.room, []);
      byRoom.get(i.room).push(i);
    }
    for (const T of this.inst.values()) {
      if (T.joined === null) continue;
      const room = byRoom.get(T.room);
      for (const kind of KINDS) this.settleSender(T, kind, room);
    }
    for (const [key, p] of this.pairs) {
      const tot = this.totals[Number(key.slice(key.lastIndexOf('|') + 1))];
      tot.received += p.n;
      tot.duplicates += p.dup;
      tot.outOfOrder += p.ooo;
    }
    for (const kind of KINDS) {
      const tot = this.totals[kind];
      const tail = Object.values(tot.tailMissing).reduce((a, b) => a + b, 0);
      tot.extra = tot.received - tot.delivered - tot.tailDelivered;
      tot.tailTotal = tot.tailDelivered + tail;
    }
    return this.totals;
  }

  settleSender(T, kind, room) {
    const sends = T.sends[kind];
    if (!sends.length) return;
    const tot = this.totals[kind];
    let tFirst = Infinity;
    let tLast = -Infinity;
    for (const [, ts, tr] of sends) {
      tFirst = Math.min(tFirst, ts);
      tLast = Math.max(tLast, tr);
    }
    const cands = room.filter((R) => R !== T && R.joined <= tLast && R.gone > tFirst);
    const last = (R) => this.pairs.get(`${R.id}|${T.id}|${kind}`)?.last ?? -1;
    // the highest seq of T any receiver got: the server had every message up to it
    const reached = Math.max(-1, ...room.filter((X) => X !== T).map(last));
    const senderGone = T.end === 'killed' || T.end === 'disconnected';
    for (const R of cands) {
      const abrupt = R.end === 'killed' || R.end === 'disconnected';
      const lastGot = last(R);
      for (const [seq, ts, tr] of sends) {
        if (ts < R.joined || tr >= R.gone) continue;
        const got = this.has(R.id, T.id, kind, seq);
        // an abrupt end loses what was not reported yet, except what an in-order later
        // message proves had arrived
        const inWindow = tr < R.strictEnd || (abrupt && seq <= lastGot);
        if (inWindow) {
          tot.expected++;
          if (got) { tot.delivered++; continue; }
          let reason = 'no reason';
          if (senderGone && tr >= T.gone - this.grace && seq > reached) reason = `sender ${T.end} before flush`;
          else if (kind === LOSSY) reason = 'lost (lossy)';
          bump(tot.missing, reason);
          if (reason === 'no reason' && kind === RELIABLE && this.missingSamples.length < 20) {
            this.missingSamples.push({ tx: T.id, rx: R.id, seq, ts, tr, rxJoined: R.joined, rxEnd: R.end,
              rxStrictEnd: R.strictEnd, rxGone: R.gone, rxLastGot: lastGot, txEnd: T.end, txGone: T.gone, reached });
          }
        } else if (got) {
          tot.tailDelivered++;
        } else {
          bump(tot.tailMissing, abrupt ? `receiver ${R.end}` : 'receiver leaving');
        }
      }
    }
  }
}

/** Percentile (0..1) of a latency histogram, in ms. */
export function latencyPct(lat, p) {
  if (!lat.n) return NaN;
  const want = Math.ceil(lat.n * p);
  let acc = 0;
  for (let i = 0; i < lat.bins.length; i++) {
    acc += lat.bins[i];
    if (acc >= want) return i;
  }
  return lat.bins.length - 1;
}
