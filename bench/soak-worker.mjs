// Worker process of the churn and soak run (bench/soak.mjs): holds several @livekit/rtc-node Rooms
// (participant instances) at once, joins and leaves them on command, makes each one send
// reliable and lossy messages at a steady rate while it is in its room, and reports what it sent
// and received. JSON lines on stdin (commands) and stdout (events); times are milliseconds of
// CLOCK_MONOTONIC (process.hrtime), one clock for every process on the machine.
//
// commands:
//   {cmd:'join', inst, url, token, rate, lossyRate, bytes}
//   {cmd:'leave', inst, drainMs, maxDrainMs}
//                                  stop sending, keep receiving for drainMs and then until a
//                                  reliable message sent after the leave started has come from
//                                  every remote participant still in the room (at most
//                                  maxDrainMs), disconnect
//   {cmd:'quit'}                   disconnect everything and exit
// events:
//   {ev:'ready'}
//   {ev:'joined', inst, t} | {ev:'joinFailed', inst, t, error}
//   {ev:'leaving', inst, t} then {ev:'left', inst, t, drained (ms), behind?, error?}
//       behind: identities not caught up with when maxDrainMs ran out
//   {ev:'disconnected', inst, t, reason}   a disconnect the driver did not ask for, or the SDK
//                                           reconnecting (reason 'reconnecting')
//   {ev:'b', s, e, r, bad}  every 200 ms when there is news:
//       s: sends, flat [inst, kind, seq, ts, tr, ...] (tr: publishData resolved)
//       e: refused sends [[inst, kind, seq, message], ...]
//       r: deliveries in arrival order, flat [rx, tx, seq, kind, latency x10 (0.1 ms), ...]
//       bad: {payload, kind, sender, unknownSender} counts since the last batch
//       u: the deliveries counted in unknownSender [[rx, tx, seq, kind, t], ...]
//
// Payload: "DCSK", kind (1 reliable, 0 lossy: rtc-node's DataPacketKind numbering; 0x0b for the
// reliable BYE a leaving participant sends after its last message), sender instance (u32), seq
// (u32), ts (f64), zero padding to `bytes`. The sender's identity is
// p<inst>; a delivery whose participant identity differs counts as `sender`.
import readline from 'node:readline';
import { Room, RoomEvent } from '@livekit/rtc-node';

const MAGIC = 0x4443534b; // "DCSK"
const HDR = 21;
const BYE = 0x0b; // kind byte of the last message of a leaving participant
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

// rtc-node sometimes throws from a handle's disposal when a connect fails; the other Rooms of
// this process are still fine
process.on('uncaughtException', (err) => process.stderr.write(`uncaught: ${err?.stack ?? err}\n`));
process.on('unhandledRejection', (err) => process.stderr.write(`unhandled: ${err?.stack ?? err}\n`));

const live = new Map(); // inst -> participant
let sends = [];
let errs = [];
let recv = [];
let unknown = []; // deliveries rtc-node could not attribute to a participant
let bad = { payload: 0, kind: 0, sender: 0, unknownSender: 0 };

function onData(p, payload, participant, kind) {
  const t = now();
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < HDR || buf.readUInt32BE(0) !== MAGIC) { bad.payload++; return; }
  const k = buf[4];
  const tx = buf.readUInt32BE(5);
  const seq = buf.readUInt32BE(9);
  const ts = buf.readDoubleBE(13);
  if (k === BYE) { p.lastTs.set(`p${tx}`, Infinity); return; }
  if (kind !== k) bad.kind++;
  const who = participant?.identity;
  if (who === undefined) {
    bad.unknownSender++;
    unknown.push([p.inst, tx, seq, k, t]);
  }
  else if (who !== `p${tx}`) bad.sender++;
  if (k === 1) p.lastTs.set(`p${tx}`, ts);
  recv.push(p.inst, tx, seq, k, Math.round((t - ts) * 10));
}

function payload(p, kind, seq, ts) {
  const buf = Buffer.alloc(Math.max(HDR, kind === BYE ? 0 : p.bytes));
  buf.writeUInt32BE(MAGIC, 0);
  buf[4] = kind;
  buf.writeUInt32BE(p.inst, 5);
  buf.writeUInt32BE(seq, 9);
  buf.writeDoubleBE(ts, 13);
  return buf;
}

function sendOne(p, kind) {
  if (p.stopped) return;
  const seq = p.seq[kind]++;
  const ts = now();
  const buf = payload(p, kind, seq, ts);
  const pr = p.room.localParticipant
    .publishData(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), { reliable: kind === 1, topic: kind ? 'soak-r' : 'soak-l' })
    .then(() => { sends.push(p.inst, kind, seq, ts, now()); },
      (err) => { errs.push([p.inst, kind, seq, String(err?.message ?? err)]); })
    .finally(() => p.pending.delete(pr));
  p.pending.add(pr);
}

function startSending(p, c) {
  for (const [kind, rate] of [[1, c.rate], [0, c.lossyRate]]) {
    if (!(rate > 0)) continue;
    const period = 1000 / rate;
    p.timers.push(setTimeout(() => {
      sendOne(p, kind);
      p.timers.push(setInterval(() => sendOne(p, kind), period));
    }, Math.random() * period));
  }
}

function stopSending(p) {
  p.stopped = true;
  for (const t of p.timers) clearTimeout(t);
  p.timers = [];
}

async function join(c) {
  const room = new Room();
  const p = { inst: c.inst, room, bytes: c.bytes, seq: [0, 0], timers: [], pending: new Set(), lastTs: new Map(), stopped: false, leaving: false };
  room.on(RoomEvent.DataReceived, (payload, participant, kind) => onData(p, payload, participant, kind));
  room.on(RoomEvent.Disconnected, (reason) => {
    if (p.leaving || !live.has(p.inst)) return;
    stopSending(p);
    live.delete(p.inst);
    out({ ev: 'disconnected', inst: p.inst, t: now(), reason });
  });
  // a reconnect (the SDK's own, after a failure) loses what was in flight: reported like a
  // disconnect, and the participant goes on
  room.on(RoomEvent.Reconnecting, () => {
    if (!p.leaving && live.has(p.inst)) out({ ev: 'disconnected', inst: p.inst, t: now(), reason: 'reconnecting' });
  });
  live.set(p.inst, p);
  try {
    await room.connect(c.url, c.token, { autoSubscribe: false, dynacast: false });
  } catch (err) {
    live.delete(p.inst);
    room.disconnect().catch(() => {});
    out({ ev: 'joinFailed', inst: p.inst, t: now(), error: String(err?.message ?? err) });
    return;
  }
  if (!live.has(p.inst)) return; // disconnected already
  out({ ev: 'joined', inst: p.inst, t: now() });
  startSending(p, c);
}

/**
 * Reliable data from each remote participant is delivered in order, so once a message sent after
 * `t`, or its last message (BYE), has arrived from every remote participant still in the room,
 * everything they sent before `t` has arrived too (or was lost). Returns the identities still
 * behind.
 */
function behind(p, t) {
  const out = [];
  for (const identity of p.room.remoteParticipants.keys()) {
    if (!((p.lastTs.get(identity) ?? -Infinity) >= t)) out.push(identity);
  }
  return out;
}

async function leave(c) {
  const p = live.get(c.inst);
  if (!p) { out({ ev: 'left', inst: c.inst, t: now(), error: 'not connected' }); return; }
  p.leaving = true;
  stopSending(p);
  flush(); // sends resolved so far go before the leaving event
  const t0 = now();
  out({ ev: 'leaving', inst: p.inst, t: t0 });
  // the last reliable message: receivers waiting for this sender to catch up need wait no more
  const bye = payload(p, BYE, p.seq[1], t0);
  const pr = p.room.localParticipant
    .publishData(new Uint8Array(bye.buffer, bye.byteOffset, bye.length), { reliable: true, topic: 'soak-bye' })
    .catch(() => {}).finally(() => p.pending.delete(pr));
  p.pending.add(pr);
  // drain: at least drainMs (the last sends leave this side), then until caught up with every
  // sender, at most maxDrainMs
  let late;
  for (;;) {
    await sleep(50);
    const waited = now() - t0;
    if (waited < c.drainMs) continue;
    late = behind(p, t0);
    if (!late.length || waited >= c.maxDrainMs) break;
  }
  const drained = Math.round(now() - t0);
  let error;
  try {
    await Promise.race([p.room.disconnect(), sleep(10000).then(() => { throw new Error('disconnect took over 10 s'); })]);
  } catch (err) {
    error = String(err?.message ?? err);
  }
  live.delete(p.inst);
  flush();
  out({ ev: 'left', inst: p.inst, t: now(), drained, pending: p.pending.size, behind: late.length ? late : undefined, error });
}

function flush() {
  const b = bad.payload + bad.kind + bad.sender + bad.unknownSender;
  if (!sends.length && !errs.length && !recv.length && !b) return;
  out({ ev: 'b', s: sends, e: errs, r: recv, bad: b ? bad : undefined, u: unknown.length ? unknown : undefined });
  unknown = [];
  sends = [];
  errs = [];
  recv = [];
  bad = { payload: 0, kind: 0, sender: 0, unknownSender: 0 };
}
setInterval(flush, 200);

async function quit() {
  for (const p of live.values()) { p.leaving = true; stopSending(p); }
  await Promise.race([
    Promise.allSettled([...live.values()].map((p) => p.room.disconnect())),
    sleep(5000),
  ]);
  flush();
  out({ ev: 'bye' });
  setTimeout(() => process.exit(0), 50);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let c;
  try { c = JSON.parse(line); } catch { return; }
  if (c.cmd === 'join') join(c);
  else if (c.cmd === 'leave') leave(c);
  else if (c.cmd === 'quit') quit();
});
out({ ev: 'ready' });
