// Shared helpers for the integration tests.
//
// - startServer(): runs the dcsfu binary (env DCSFU_BIN, default bin/dcsfu) on free ports,
//   waits until it answers HTTP, and returns a handle whose stop() sends SIGTERM and reports how
//   it exited. assertCleanExit() fails unless it exited 0 within 5 s with no sanitizer report.
// - makeToken()/signJwt(): access tokens (livekit-server-sdk AccessToken, or hand-made HS256).
// - connectSignal()/openSignal(): a small LiveKit signalling client over `ws` that sends a
//   gzip+base64url join_request on /rtc/v1 (or v0 query parameters on /rtc) and queues every
//   SignalResponse so tests can wait for one with next(predicate, timeoutMs).
// Every wait has a deadline; nothing sleeps for a fixed time.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import assert from 'node:assert/strict';
import { test, before, after } from 'node:test';

import WebSocket from 'ws';
import { AccessToken } from 'livekit-server-sdk';
import {
  ClientInfo,
  ClientInfo_Capability,
  ClientInfo_SDK,
  ConnectionSettings,
  DisconnectReason,
  JoinRequest,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo_State,
  Ping,
  SignalRequest,
  SignalResponse,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const API_KEY = 'devkey';
export const API_SECRET = 'secret';
export const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

// ---------------------------------------------------------------------------------------------
// small utilities

export function randomRoom(prefix = 'room') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

export function randomIdentity(prefix = 'user') {
  return `${prefix}-${crypto.randomBytes(3).toString('hex')}`;
}

/** Resolves after ms; only used as the losing side of a race with a deadline. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

/** Rejects with `what` if `promise` has not settled within ms. */
export async function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/** Block-style YAML for nested plain objects of scalars (what --config-body needs). */
export function toYaml(obj, indent = '') {
  let out = '';
  for (const [key, value] of Object.entries(obj)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out += `${indent}${key}:\n${toYaml(value, indent + '  ')}`;
    } else if (Array.isArray(value)) {
      out += `${indent}${key}:\n`;
      for (const item of value) out += `${indent}  - ${yamlScalar(item)}\n`;
    } else {
      out += `${indent}${key}: ${yamlScalar(value)}\n`;
    }
  }
  return out;
}

function yamlScalar(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function tail(text, max = 12000) {
  return text.length > max ? `...[${text.length - max} bytes cut]...\n${text.slice(-max)}` : text;
}

// ---------------------------------------------------------------------------------------------
// server process

export function serverBinary() {
  const bin = process.env.DCSFU_BIN || 'bin/dcsfu';
  return path.isAbsolute(bin) ? bin : path.join(REPO_ROOT, bin);
}

const LOG_DIR = process.env.DCSFU_TEST_LOG_DIR || path.join(REPO_ROOT, 'build', 'integration-logs');

/**
 * One HTTPS request trusting `ca` (PEM text; undefined: Node's default store). Resolves with
 * {status, body, cert} (cert: the server's certificate as Node reports it) or rejects with the
 * TLS or network error.
 */
export function httpsRequest(url, { ca, method = 'GET', timeoutMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, timeout: timeoutMs, agent: false }, (res) => {
      const cert = res.socket.getPeerCertificate?.();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, cert }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts the server on free ports. `config` is an object turned into YAML for --config-body.
 * tlsCa (PEM text): the server speaks TLS (config.tls set by the caller); httpUrl/wsUrl are then
 * https:// and wss:// and readiness is checked over HTTPS trusting that CA.
 * drainTimeout (seconds, default 2) becomes --drain-timeout, so that a server still holding
 * participants at the end of a file finishes its SIGTERM drain well within stopServer's 5 s;
 * null leaves the flag out (the config's shutdown.drain_timeout, default 30, applies).
 * Throws (with the server's output) if the binary is missing, exits early, or does not answer
 * HTTP within readyMs.
 */
export async function startServer({ config, args = [], env = {}, readyMs = 10000, label = 'dcsfu', drainTimeout = 2, tlsCa } = {}) {
  const bin = serverBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(`server binary not found: ${bin} (build it with make, or set DCSFU_BIN)`);
  }
  const port = await freeTcpPort();
  const udpPort = await freeUdpPort();
  const argv = ['--dev', '--bind', '127.0.0.1', '--port', String(port), '--udp-port', String(udpPort)];
  if (drainTimeout !== null) argv.push('--drain-timeout', String(drainTimeout));
  if (config) argv.push('--config-body', toYaml(config));
  argv.push(...args);

  const childEnv = { ...process.env, ...env };
  childEnv.ASAN_OPTIONS ??= 'detect_leaks=1:halt_on_error=1:abort_on_error=0';
  childEnv.UBSAN_OPTIONS ??= 'print_stacktrace=1:halt_on_error=1';

  const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv, cwd: REPO_ROOT });
  const srv = {
    bin, port, udpPort, argv, proc, label,
    stdout: '', stderr: '',
    httpUrl: `${tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`,
    wsUrl: `${tlsCa ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    exited: null, // {code, signal} once the process ended
  };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { srv.stdout += d; });
  proc.stderr.on('data', (d) => { srv.stderr += d; });
  srv.exitPromise = new Promise((resolve) => {
    proc.on('error', (err) => { srv.spawnError = err; srv.exited = { code: null, signal: null, error: err }; resolve(srv.exited); });
    proc.on('exit', (code, signal) => { srv.exited = { code, signal }; resolve(srv.exited); });
  });
  srv.log = () => `--- ${srv.label} ${srv.argv.join(' ')}\n--- stderr ---\n${tail(srv.stderr)}\n--- stdout ---\n${tail(srv.stdout, 4000)}`;
  srv.stop = (opts) => stopServer(srv, opts);

  const deadline = Date.now() + readyMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (srv.exited) {
      throw new Error(`server exited before it was ready (${JSON.stringify(srv.exited)})\n${srv.log()}`);
    }
    try {
      if (tlsCa) {
        await httpsRequest(`${srv.httpUrl}/`, { ca: tlsCa, timeoutMs: 1000 });
      } else {
        const res = await fetch(`${srv.httpUrl}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
      }
      return srv;
    } catch (err) {
      lastErr = err;
    }
    await Promise.race([delay(50), srv.exitPromise]);
  }
  proc.kill('SIGKILL');
  await srv.exitPromise;
  throw new Error(`server did not answer HTTP on port ${port} within ${readyMs} ms (${lastErr?.cause?.code ?? lastErr?.message})\n${srv.log()}`);
}

/** SIGTERM, wait up to graceMs; SIGKILL after that. Writes the log file. */
export async function stopServer(srv, { graceMs = 5000 } = {}) {
  const wasRunning = !srv.exited;
  let timedOut = false;
  if (wasRunning) {
    srv.proc.kill('SIGTERM');
    const res = await Promise.race([srv.exitPromise, delay(graceMs).then(() => null)]);
    if (!res) {
      timedOut = true;
      srv.proc.kill('SIGKILL');
      await srv.exitPromise;
    }
  }
  try {
    fs.mkdirSync(LOG_DIR, { recursive: true });
    fs.writeFileSync(path.join(LOG_DIR, `${srv.label}-${srv.port}.log`), `${srv.argv.join(' ')}\n${JSON.stringify(srv.exited)}\n--- stderr ---\n${srv.stderr}\n--- stdout ---\n${srv.stdout}`);
  } catch { /* logs are a convenience */ }
  return { ...srv.exited, wasRunning, timedOut, stderr: srv.stderr };
}

/** Asserts the stop() result: was running until SIGTERM, exited 0 in time, no sanitizer report. */
export function assertCleanExit(srv, result) {
  const problems = [];
  if (!result.wasRunning) problems.push(`server had already exited before SIGTERM (${JSON.stringify(srv.exited)})`);
  if (result.timedOut) problems.push('server did not exit within 5 s of SIGTERM');
  else if (result.code !== 0 || result.signal) problems.push(`server exit: code=${result.code} signal=${result.signal}`);
  for (const marker of SANITIZER_MARKERS) {
    if (srv.stderr.includes(marker)) problems.push(`server stderr contains "${marker}"`);
  }
  if (problems.length) assert.fail(`${problems.join('; ')}\n${srv.log()}`);
}

/**
 * Registers before/after hooks that run one server for the whole test file and check its exit,
 * and returns { srv() , test } where test() attaches the server log to any failure.
 */
export function useServer(opts = {}) {
  const state = { srv: null, startError: null };
  before(async () => {
    try {
      state.srv = await startServer(opts);
    } catch (err) {
      state.startError = err;
    }
  });
  after(async () => {
    if (!state.srv) return;
    const result = await state.srv.stop();
    assertCleanExit(state.srv, result);
  });
  const getSrv = () => {
    if (state.startError) throw state.startError;
    assert.ok(state.srv, 'server was not started');
    return state.srv;
  };
  const t = (name, optsOrFn, maybeFn) => {
    const fn = typeof optsOrFn === 'function' ? optsOrFn : maybeFn;
    const topts = { timeout: 30000, ...(typeof optsOrFn === 'object' ? optsOrFn : {}) };
    return test(name, topts, async (ctx) => {
      const srv = getSrv();
      try {
        await fn(srv, ctx);
      } catch (err) {
        throw attachLog(err, srv);
      }
    });
  };
  return { srv: getSrv, test: t };
}

/** Runs fn with a server of its own (for a config that differs), then checks its clean exit. */
export async function withServer(opts, fn) {
  const srv = await startServer(opts);
  try {
    await fn(srv);
  } catch (err) {
    await srv.stop();
    throw attachLog(err, srv);
  }
  const result = await srv.stop();
  assertCleanExit(srv, result);
}

export function attachLog(err, srv) {
  if (err && typeof err === 'object' && !err.__serverLogAttached) {
    try {
      err.message = `${err.message}\n${srv.log()}`;
      err.__serverLogAttached = true;
    } catch { /* frozen error */ }
  }
  return err;
}

// ---------------------------------------------------------------------------------------------
// tokens

/** A participant token via livekit-server-sdk. `grant` is merged over {roomJoin, room}. */
export async function makeToken({
  identity, room, name, metadata, attributes, grant = {}, ttl = '10m',
  apiKey = API_KEY, secret = API_SECRET, kind,
} = {}) {
  const at = new AccessToken(apiKey, secret, { identity, name, metadata, attributes, ttl, kind });
  at.addGrant({ roomJoin: true, room, ...grant });
  return at.toJwt();
}

/** A service token (no identity) with just the given video grant. */
export async function makeServiceToken(grant, { apiKey = API_KEY, secret = API_SECRET, ttl = '10m' } = {}) {
  const at = new AccessToken(apiKey, secret, { ttl });
  at.addGrant(grant);
  return at.toJwt();
}

/** Hand-made JWT: HS256 with the given secret, or alg "none" with an empty signature. */
export function signJwt(payload, { secret = API_SECRET, alg = 'HS256', header } = {}) {
  const h = Buffer.from(JSON.stringify(header ?? { alg, typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  if (alg === 'none') return `${h}.${p}.`;
  const sig = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

export function nowSec() {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// join_request encoding

/** A JoinRequest like livekit-client 2.23.0 sends; `fields` override/extend it. */
export function defaultJoinRequest(fields = {}) {
  return new JoinRequest({
    clientInfo: new ClientInfo({
      sdk: ClientInfo_SDK.JS,
      version: '2.23.0',
      protocol: 17,
      clientProtocol: 2,
      capabilities: [ClientInfo_Capability.CAP_COMPRESSION_DEFLATE_RAW],
    }),
    connectionSettings: new ConnectionSettings({ autoSubscribe: true }),
    ...fields,
  });
}

/** WrappedJoinRequest(gzip(JoinRequest)) as URL-safe base64 (padded like both SDKs by default). */
export function encodeJoinRequest(joinRequest, { gzip = true, padded = true } = {}) {
  const jr = joinRequest instanceof JoinRequest ? joinRequest : defaultJoinRequest(joinRequest);
  const inner = jr.toBinary();
  const wrapped = new WrappedJoinRequest({
    compression: gzip ? WrappedJoinRequest_Compression.GZIP : WrappedJoinRequest_Compression.NONE,
    joinRequest: gzip ? zlib.gzipSync(inner) : inner,
  });
  let s = Buffer.from(wrapped.toBinary()).toString('base64url');
  if (padded) while (s.length % 4) s += '=';
  return s;
}

/** Inverse of encodeJoinRequest (accepts both alphabets, padded or not). */
export function decodeJoinRequest(param) {
  const b64 = param.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const wrapped = WrappedJoinRequest.fromBinary(Buffer.from(b64, 'base64'));
  const bytes = wrapped.compression === WrappedJoinRequest_Compression.GZIP
    ? zlib.gunzipSync(wrapped.joinRequest) : wrapped.joinRequest;
  return { wrapped, joinRequest: JoinRequest.fromBinary(bytes) };
}

// ---------------------------------------------------------------------------------------------
// signalling client

/** Short description of a SignalResponse for error messages. */
export function describeResponse(msg) {
  const c = msg.message.case;
  const v = msg.message.value;
  switch (c) {
    case 'update':
      return `update[${v.participants.map((p) => `${p.identity}/${ParticipantInfo_State[p.state]}/v${p.version}`).join(',')}]`;
    case 'leave':
      return `leave(${DisconnectReason[v.reason]},${LeaveRequest_Action[v.action]})`;
    case 'requestResponse':
      return `requestResponse(${v.requestId},${v.reason})`;
    default:
      return c ?? 'empty';
  }
}

export class SignalClient {
  constructor(ws, info = {}) {
    this.ws = ws;
    this.info = info;
    this.messages = [];       // every decoded SignalResponse, in order
    this.consumed = new Set(); // indexes handed out by next()
    this.textFrames = [];
    this.decodeErrors = [];
    this.versionViolations = [];
    this.versions = new Map(); // participant sid -> last version seen
    this.waiters = [];
    this.closeInfo = null;
    this.join = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) w.onClose(this.closeInfo);
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (err) => { this.wsError = err; });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  onMessage(data, isBinary) {
    if (!isBinary) {
      this.textFrames.push(data.toString());
      return;
    }
    let msg;
    try {
      msg = SignalResponse.fromBinary(new Uint8Array(data));
    } catch (err) {
      this.decodeErrors.push(err.message);
      return;
    }
    this.trackVersions(msg);
    const idx = this.messages.push(msg) - 1;
    for (const w of [...this.waiters]) {
      if (!this.consumed.has(idx) && w.pred(msg)) {
        this.consumed.add(idx);
        w.resolve(msg);
      }
    }
  }

  trackVersions(msg) {
    const seen = (p, where) => {
      const last = this.versions.get(p.sid);
      if (last !== undefined && p.version <= last) {
        this.versionViolations.push(`${where}: ${p.identity} (${p.sid}) version ${p.version} after ${last}`);
      }
      if (last === undefined || p.version > last) this.versions.set(p.sid, p.version);
    };
    if (msg.message.case === 'join') {
      const j = msg.message.value;
      if (j.participant) seen(j.participant, 'join.participant');
      for (const p of j.otherParticipants) seen(p, 'join.otherParticipants');
    } else if (msg.message.case === 'update') {
      for (const p of msg.message.value.participants) seen(p, 'update');
    }
  }

  summary() {
    return this.messages.map(describeResponse).join(' ') || '(nothing)';
  }

  /**
   * The first not-yet-taken message matching pred (a function, or a message case name),
   * waiting up to timeoutMs. Rejects on timeout or when the connection closes first.
   */
  next(pred, timeoutMs = 5000, what) {
    const fn = typeof pred === 'string' ? (m) => m.message.case === pred : pred;
    const desc = what ?? (typeof pred === 'string' ? pred : 'matching message');
    for (let i = 0; i < this.messages.length; i++) {
      if (!this.consumed.has(i) && fn(this.messages[i])) {
        this.consumed.add(i);
        return Promise.resolve(this.messages[i]);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        pred: fn,
        resolve: (m) => { done(); resolve(m); },
        onClose: (ci) => { done(); reject(new Error(`connection closed (code ${ci.code} "${ci.reason}") while waiting for ${desc}; received: ${this.summary()}`)); },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${desc}; received: ${this.summary()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      if (this.closeInfo) { waiter.onClose(this.closeInfo); return; }
      this.waiters.push(waiter);
    });
  }

  /** Waits for a ParticipantUpdate that contains a participant matching pred; returns that info. */
  async nextParticipant(pred, timeoutMs = 5000, what = 'participant update') {
    const msg = await this.next(
      (m) => m.message.case === 'update' && m.message.value.participants.some(pred), timeoutMs, what);
    return msg.message.value.participants.find(pred);
  }

  /** Sends SignalRequest{message: {case, value}}. */
  send(kase, value) {
    const req = new SignalRequest({ message: { case: kase, value } });
    this.ws.send(req.toBinary());
  }

  sendRaw(data, opts) {
    this.ws.send(data, opts);
  }

  /** ping -> pong; returns the pong value (bigint ms). */
  async ping(timeoutMs = 3000) {
    this.send('ping', BigInt(Date.now()));
    const m = await this.next('pong', timeoutMs, 'pong');
    return m.message.value;
  }

  async pingReq(timestamp = BigInt(Date.now()), timeoutMs = 3000) {
    this.send('pingReq', new Ping({ timestamp, rtt: 0n }));
    const m = await this.next((x) => x.message.case === 'pongResp' && x.message.value.lastPingTimestamp === timestamp, timeoutMs, 'pongResp');
    return m.message.value;
  }

  leave() {
    this.send('leave', new LeaveRequest({ reason: DisconnectReason.CLIENT_INITIATED, action: LeaveRequest_Action.DISCONNECT }));
  }

  /** 'alive' if a ping still gets its pong, 'closed' if the server closed the connection. */
  async aliveOrClosed(timeoutMs = 3000) {
    try {
      await this.ping(timeoutMs);
      return 'alive';
    } catch (err) {
      if (this.closeInfo) return 'closed';
      throw err;
    }
  }

  waitClose(timeoutMs = 5000) {
    return withDeadline(this.closed, timeoutMs, 'server to close the WebSocket');
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}

/**
 * Builds the upgrade URL. v1 (default): /rtc/v1?access_token&join_request; v0 when `v0Query`
 * is given: /rtc?access_token&...v0Query. tokenIn 'header' sends Authorization: Bearer instead.
 */
export function signalUrl({ url, token, joinRequest, v0Query, tokenIn = 'query', path: p, query = {}, joinRequestParam, joinRequestOptions }) {
  const u = new URL(url);
  const v0 = v0Query !== undefined;
  u.pathname = p ?? (v0 ? '/rtc' : '/rtc/v1');
  if (token && tokenIn === 'query') u.searchParams.set('access_token', token);
  if (v0) {
    for (const [k, v] of Object.entries(v0Query)) u.searchParams.set(k, String(v));
  } else if (joinRequestParam !== undefined) {
    if (joinRequestParam !== null) u.searchParams.set('join_request', joinRequestParam);
  } else {
    u.searchParams.set('join_request', encodeJoinRequest(joinRequest ?? {}, joinRequestOptions));
  }
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** The validate URL the SDKs use for the same request. */
export function validateUrl(opts) {
  const u = new URL(signalUrl(opts));
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = `${u.pathname}/validate`;
  return u.toString();
}

/** v0 query parameters as livekit-client 2.23.0 sends them. */
export function jsV0Query(extra = {}) {
  return { auto_subscribe: 1, sdk: 'js', version: '2.23.0', protocol: 17, client_protocol: 2, ...extra };
}

/**
 * Opens the WebSocket. Resolves { ok: true, client } after the upgrade, or
 * { ok: false, status, headers, body } when the server answers the upgrade with HTTP.
 */
export function openSignal(opts) {
  const { token, tokenIn = 'query', headers = {}, timeoutMs = 5000, maxPayload } = opts;
  const url = signalUrl(opts);
  const h = { ...headers };
  if (token && tokenIn === 'header') h.Authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: h, handshakeTimeout: timeoutMs, maxPayload: maxPayload ?? 64 * 1024 * 1024, perMessageDeflate: false });
    let settled = false;
    const client = new SignalClient(ws, { url });
    ws.once('open', () => { settled = true; resolve({ ok: true, client, url }); });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      const finish = () => {
        if (settled) return;
        settled = true;
        resolve({ ok: false, status: res.statusCode, headers: res.headers, body, url });
        req.destroy();
      };
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    ws.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new Error(`WebSocket to ${url.replace(/access_token=[^&]+/, 'access_token=…')} failed: ${err.message}`));
    });
  });
}

/**
 * Connects and waits for the JoinResponse, which must be the first frame, within joinTimeoutMs.
 * Returns the SignalClient with .join set to the JoinResponse.
 */
export async function connectSignal(opts) {
  const r = await openSignal(opts);
  if (!r.ok) {
    throw new Error(`upgrade refused: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  const client = r.client;
  const first = await withDeadline(
    new Promise((resolve, reject) => {
      if (client.messages.length) return resolve(client.messages[0]);
      const onMsg = () => {
        if (client.messages.length) { cleanup(); resolve(client.messages[0]); }
        else if (client.decodeErrors.length || client.textFrames.length) {
          cleanup(); reject(new Error(`first frame was not a SignalResponse: ${client.decodeErrors[0] ?? 'text frame'}`));
        }
      };
      const onClose = (code, reason) => { cleanup(); reject(new Error(`closed (code ${code} "${reason}") before any message`)); };
      const cleanup = () => { client.ws.off('message', onMsg); client.ws.off('close', onClose); };
      // registered after SignalClient's own listener, so messages[] is already updated
      client.ws.on('message', onMsg);
      client.ws.on('close', onClose);
    }),
    opts.joinTimeoutMs ?? 5000,
    'first signal message (JoinResponse)',
  ).catch((err) => { client.close(); throw err; });
  if (first.message.case !== 'join') {
    client.close();
    throw new Error(`first message was ${describeResponse(first)}, not a JoinResponse`);
  }
  client.consumed.add(0);
  client.join = first.message.value;
  return client;
}

/**
 * Joins `room` as `identity` with a fresh token. Options: name, metadata, attributes, grant,
 * joinRequest (fields), v0Query, tokenIn.
 */
export async function joinRoom(srv, { room, identity = randomIdentity(), name, metadata, attributes, grant, kind, ...rest }) {
  const token = await makeToken({ identity, room, name, metadata, attributes, grant, kind });
  const client = await connectSignal({ url: srv.wsUrl, token, ...rest });
  client.identity = identity;
  client.token = token;
  return client;
}

/**
 * Tries to join and expects a refusal: either HTTP (non-101) at the upgrade, or a first message
 * that is a Leave followed by a close. Returns { kind: 'http', status, body } or
 * { kind: 'leave', leave }. Fails if a JoinResponse arrives.
 */
export async function expectRefusal(opts, timeoutMs = 5000) {
  const r = await openSignal(opts);
  if (!r.ok) return { kind: 'http', status: r.status, body: r.body, headers: r.headers };
  const client = r.client;
  try {
    const first = await client.next(() => true, timeoutMs, 'refusal (Leave or close)').catch((err) => {
      if (client.closeInfo) return { closedFirst: client.closeInfo };
      throw err;
    });
    if (first.closedFirst) return { kind: 'close', close: first.closedFirst };
    if (first.message.case === 'join') assert.fail(`expected a refusal, got a JoinResponse for ${first.message.value.participant?.identity}`);
    assert.equal(first.message.case, 'leave', `expected Leave as the refusal, got ${describeResponse(first)}`);
    return { kind: 'leave', leave: first.message.value, client };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

export async function httpGet(url, { headers = {}, timeoutMs = 5000 } = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/** POST to /twirp/livekit.RoomService/<method> with a raw body. */
export async function twirpRaw(srv, method, body, { token, contentType = 'application/json', headers = {}, timeoutMs = 5000 } = {}) {
  const h = { 'Content-Type': contentType, ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(`${srv.httpUrl}/twirp/livekit.RoomService/${method}`, {
    method: 'POST', headers: h, body, signal: AbortSignal.timeout(timeoutMs),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type'), body: buf, text: buf.toString('utf8') };
}

/**
 * Sends raw bytes on a TCP connection to the server and resolves with what came back once the
 * server closed, or once a complete HTTP head arrived and nothing more came for a moment.
 */
export function rawTcp(port, data, { timeoutMs = 5000, host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    const chunks = [];
    let finished = false;
    const finish = (how) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ how, text: Buffer.concat(chunks).toString('latin1') });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    sock.on('connect', () => {
      sock.write(data, (err) => { if (err) finish('write-error'); });
    });
    sock.on('data', (d) => {
      chunks.push(d);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0) {
        const m = /content-length:\s*(\d+)/i.exec(text.slice(0, head));
        if (!m || text.length - head - 4 >= Number(m[1])) finish('response');
      }
    });
    sock.on('end', () => finish('end'));
    sock.on('error', (err) => {
      if (chunks.length) finish(`error:${err.code}`);
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(`error:${err.code}`);
      else reject(err);
    });
  });
}

export function statusOf(rawText) {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(rawText);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------------------------
// assertions shared by several files

export const SID_RE = { room: /^RM_[A-Za-z0-9]{12}$/, participant: /^PA_[A-Za-z0-9]{12}$/ };

export function assertNearNowMs(value, what, slackMs = 10000) {
  const v = Number(value);
  assert.ok(Math.abs(v - Date.now()) < slackMs, `${what} = ${value} is not within ${slackMs} ms of now (${Date.now()})`);
}

export function parseSemver(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v ?? '');
  return m ? m.slice(1).map(Number) : null;
}

export function semverAtLeast(v, min) {
  const a = parseSemver(v);
  const b = parseSemver(min);
  if (!a) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** The server still serves this client: ping gets a pong, and a newcomer shows up as an update. */
export async function assertClientHealthy(srv, client, room) {
  const pong = await client.ping(3000);
  assertNearNowMs(pong, 'pong');
  const probe = await joinRoom(srv, { room, identity: randomIdentity('probe') });
  try {
    await client.nextParticipant((p) => p.identity === probe.identity, 5000, `update for ${probe.identity}`);
  } finally {
    probe.leave();
    probe.close();
  }
  await client.nextParticipant((p) => p.identity === probe.identity && p.state === ParticipantInfo_State.DISCONNECTED, 5000, `DISCONNECTED for ${probe.identity}`);
}
