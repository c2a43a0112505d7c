// long-poll-node: the runner-like long-poll loop on Node's own https stack, with
// `new https.Agent({ keepAlive: true })` as services use it. One JSON object per line on stdout,
// the same records as long-poll-go: for every response the local port, whether the socket was
// reused (request.reusedSocket) and the SHA-256 fingerprint of the peer certificate. When a job
// arrives, the certificates of that socket's chain go into a CA file and the job's repository is
// fetched on a fresh connection that trusts only that file: with curl --cacert, or with
// https.get({ ca }) and no agent.
//
// --max-conn-age MS: https.Agent has no maximum age either; this client overrides the agent's
// documented keepSocketAlive(socket) hook to refuse pooling a socket older than MS (the agent
// then destroys it), so the next request opens a new one.
//
// TLS sessions: the agent caches sessions (maxCachedSessions, 100 by default) and resumes them on
// new sockets. A resumed handshake carries no certificate (getPeerCertificate() is empty), so a
// socket is attributed the certificate of the full handshake its session descends from:
// `resumed` says which case a record is, `fingerprint` is that certificate. --session-cache off
// sets maxCachedSessions to 0.
//
// Exit: 0 a job came and every clone succeeded; 3 a clone failed; 2 no job within --timeout;
// 4 too many consecutive errors; 64 bad usage.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { dirname } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    url: { type: "string" },
    roots: { type: "string" },
    "max-conn-age": { type: "string", default: "0" },
    clone: { type: "string", default: "curl" },
    "ca-file": { type: "string", default: "/tmp/long-poll/ca-chain.pem" },
    timeout: { type: "string", default: "60000" },
    "retry-delay": { type: "string", default: "100" },
    "session-cache": { type: "string", default: "default" },
  },
});
if (!opt.url || !opt.roots) {
  process.stderr.write("usage: client.mjs --url URL --roots CA.pem[,CA.pem] [--max-conn-age MS] [--clone curl,tls]\n");
  process.exit(64);
}
const maxAge = Number(opt["max-conn-age"]);
const timeoutMs = Number(opt.timeout);
const retryDelay = Number(opt["retry-delay"]);
const roots = opt.roots.split(",").map((f) => readFileSync(f, "utf8"));

const emit = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
const fingerprint = (der) => createHash("sha256").update(der).digest("hex");
const toPem = (der) => `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;

const births = new WeakMap();
/** What authenticated a socket: the certificate (and chain) of the full handshake its session descends from. */
const auth = new WeakMap();
const sessions = new Map();

function authOf(socket) {
  if (!socket.isSessionReused()) {
    const chain = chainOf(socket);
    return chain.length ? { fingerprint: chain[0].fp, subject: chain[0].subject, chain } : undefined;
  }
  return auth.get(socket);
}

class PollAgent extends https.Agent {
  createConnection(options, cb) {
    // The session the agent will offer (https.Agent looks it up the same way inside createConnection).
    const offered = options._agentKey ? this._getSession(options._agentKey) : undefined;
    const socket = super.createConnection(options, cb);
    births.set(socket, Date.now());
    if (offered) auth.set(socket, sessions.get(offered.toString("base64")));
    socket.on("session", (ticket) => {
      const a = authOf(socket);
      if (a) sessions.set(ticket.toString("base64"), a);
    });
    socket.once("connect", () => emit("dial", { local_port: socket.localPort, remote: `${options.host}:${options.port}` }));
    return socket;
  }
  keepSocketAlive(socket) {
    const age = Date.now() - (births.get(socket) ?? Date.now());
    if (maxAge > 0 && age >= maxAge) {
      emit("retire", { local_port: socket.localPort, age_ms: age });
      return false;
    }
    return super.keepSocketAlive(socket);
  }
}
const sessionCache = opt["session-cache"];
const agent = new PollAgent({ keepAlive: true, ca: roots, ...(sessionCache === "off" ? { maxCachedSessions: 0 } : {}) });

/** Every certificate of the socket's chain (leaf first, up to the root it was verified against), once each. */
function chainOf(socket) {
  const out = [];
  const seen = new Set();
  for (let c = socket.getPeerCertificate(true); c && c.raw; c = c.issuerCertificate) {
    const fp = fingerprint(c.raw);
    if (seen.has(fp)) break;
    seen.add(fp);
    out.push({ der: c.raw, fp, subject: `CN=${c.subject?.CN ?? ""}` });
  }
  return out;
}

function poll(seq) {
  return new Promise((resolve) => {
    const rec = { seq };
    const req = https.request(opt.url, {
      method: "POST",
      agent,
      headers: { "Content-Type": "application/json", "X-Poll-Seq": String(seq) },
    });
    req.on("socket", (s) => {
      rec.reused = req.reusedSocket;
      const note = () => {
        rec.local_port = s.localPort;
        rec.conn_age_ms = Date.now() - (births.get(s) ?? Date.now());
      };
      if (req.reusedSocket) note();
      else s.once("secureConnect", note);
    });
    req.on("response", (res) => {
      // Read what the socket says now: once the body ends, the agent takes the socket back.
      const socket = res.socket;
      const resumed = socket.isSessionReused();
      const a = authOf(socket);
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        Object.assign(rec, {
          local_port: socket.localPort,
          conn_age_ms: Date.now() - (births.get(socket) ?? Date.now()),
          status: res.statusCode,
          job: res.statusCode === 201,
          resumed,
          ...(a ? { fingerprint: a.fingerprint, subject: a.subject } : {}),
        });
        emit("response", rec);
        resolve({ res, socket, body: Buffer.concat(chunks).toString("utf8"), chain: a?.chain ?? [] });
      });
    });
    req.on("error", (err) => {
      emit("error", { ...rec, error: err.message, code: err.code });
      resolve({ error: err });
    });
    req.end('{"token":"runner"}');
  });
}

function cloneCurl(gitUrl, caFile) {
  const r = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", caFile, `${gitUrl}/info/refs?service=git-upload-pack`], { encoding: "utf8" });
  return { method: "curl", ok: r.status === 0 && r.stdout === "200", exit: r.status, http_code: r.stdout, error: (r.stderr ?? "").trim() };
}

function cloneTLS(gitUrl, caPem) {
  return new Promise((resolve) => {
    const req = https.get(`${gitUrl}/info/refs?service=git-upload-pack`, { ca: caPem, agent: false }, (res) => {
      res.resume();
      const fp = fingerprint(res.socket.getPeerCertificate().raw);
      res.on("end", () => resolve({ method: "tls", ok: res.statusCode === 200, status: res.statusCode, fingerprint: fp }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.on("error", (err) => resolve({ method: "tls", ok: false, error: err.message, code: err.code }));
  });
}

emit("start", { client: "node", version: process.version, max_conn_age_ms: maxAge, session_cache: sessionCache === "off" ? "off" : "on" });
const deadline = Date.now() + timeoutMs;
let failures = 0;
for (let seq = 1; Date.now() < deadline; seq++) {
  const r = await poll(seq);
  if (r.error) {
    if (++failures >= 20) process.exit(4);
    await new Promise((res) => setTimeout(res, retryDelay));
    continue;
  }
  failures = 0;
  if (r.res.statusCode !== 201) continue;
  const job = JSON.parse(r.body);
  const pem = r.chain.map((c) => toPem(c.der)).join("");
  mkdirSync(dirname(opt["ca-file"]), { recursive: true });
  writeFileSync(opt["ca-file"], pem);
  emit("ca-file", { path: opt["ca-file"], from_local_port: r.socket.localPort, fingerprints: r.chain.map((c) => c.fp), subjects: r.chain.map((c) => c.subject) });
  let failed = false;
  for (const m of opt.clone.split(",").map((s) => s.trim())) {
    let c;
    if (m === "curl") c = cloneCurl(job.git_url, opt["ca-file"]);
    else if (m === "tls") c = await cloneTLS(job.git_url, pem);
    else {
      process.stderr.write(`unknown clone method ${m}\n`);
      process.exit(64);
    }
    emit("clone", { ...c, job: job.id });
    if (!c.ok) failed = true;
  }
  agent.destroy();
  process.exit(failed ? 3 : 0);
}
emit("timeout", { after_ms: timeoutMs });
process.exit(2);
