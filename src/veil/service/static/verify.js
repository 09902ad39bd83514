// In-browser verification of a person's trace with WebCrypto only (SHA-256 and Ed25519):
// C2SP signed notes and checkpoints, tlog-cosignature/v1, c2sp.org/tlog-proof@v1 and RFC 9162
// inclusion proofs (leaf 0x00, node 0x01). It trusts only the keys printed on the page and
// never a "verified" flag from the server: every badge is the result of checks done here.

const enc = new TextEncoder();
const EM_DASH = "\u2014";
const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;
const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";
const MAX_PROOF_LENGTH = 63;

export class VerifyError extends Error {}

function fail(message) {
  throw new VerifyError(message);
}

export function b64encode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

// Standard, padded, canonical base64 only (as veil.ledger.note.b64decode_strict).
export function b64decode(text, what) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    fail(`${what} is not valid base64`);
  }
  const out = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (b64encode(out) !== text) fail(`${what} is not canonical base64`);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

function validKeyName(name) {
  return name.length > 0 && !name.includes("+") && !/[\s\u0000-\u001f]/u.test(name);
}

async function keyId(name, alg, publicKey) {
  const digest = await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, alg), publicKey));
  return new DataView(digest.buffer).getUint32(0);
}

// A signed-note verifier key <name>+<key id>+<base64(type || Ed25519 public key)>.
export async function parseVkey(vkey) {
  const text = vkey.trim();
  const i = text.indexOf("+");
  const j = text.indexOf("+", i + 1);
  if (i < 0 || j < 0) fail("malformed verifier key");
  const name = text.slice(0, i);
  const idHex = text.slice(i + 1, j);
  if (!validKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex)) fail("malformed verifier key");
  const raw = b64decode(text.slice(j + 1), "verifier key");
  if (raw.length !== 33 || (raw[0] !== ALG_ED25519 && raw[0] !== ALG_COSIGNATURE_V1)) {
    fail("only Ed25519 verifier keys are accepted");
  }
  const publicKey = raw.slice(1);
  if ((await keyId(name, raw[0], publicKey)) !== parseInt(idHex, 16)) {
    fail(`the key ID of ${name} does not match its key`);
  }
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
    "verify",
  ]);
  return { name, alg: raw[0], publicKey, key };
}

// Split a signed note into its text and signature lines (c2sp.org/signed-note).
export function parseNote(text) {
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) fail("malformed note: control characters");
  const split = text.lastIndexOf("\n\n");
  if (split < 0 || !text.endsWith("\n")) fail("malformed note: no signatures");
  const body = text.slice(0, split + 1);
  if (!body.replace(/\n/g, "")) fail("malformed note: empty text");
  const lines = text.slice(split + 2).split("\n");
  lines.pop();
  if (!lines.length || lines.length > 100) fail("malformed note: bad signature count");
  const signatures = lines.map((line) => {
    if (!line.startsWith(EM_DASH + " ")) fail("malformed note: bad signature line");
    const rest = line.slice(2).split(" ");
    if (rest.length !== 2 || !validKeyName(rest[0])) fail("malformed note: bad signature line");
    const blob = b64decode(rest[1], "note signature");
    if (blob.length < 5) fail("malformed note: signature too short");
    return { name: rest[0], keyId: new DataView(blob.buffer).getUint32(0), raw: blob.slice(4) };
  });
  return { text: body, signatures };
}

// The body of a c2sp.org/tlog-checkpoint: origin, tree size, root hash.
export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || !lines[0]) fail("malformed checkpoint");
  if (!/^(0|[1-9][0-9]{0,18})$/.test(lines[1])) fail("malformed checkpoint: tree size");
  const root = b64decode(lines[2], "checkpoint root hash");
  if (root.length !== 32) fail("malformed checkpoint: root hash is not 32 bytes");
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

// Verify the log's Ed25519 signature and, for every witness key, its cosignature/v1.
export async function verifyCheckpoint(noteText, logKey, witnessKeys) {
  if (logKey.alg !== ALG_ED25519) fail("the log key must be an Ed25519 (type 0x01) key");
  const note = parseNote(noteText);
  const body = enc.encode(note.text);
  const logId = await keyId(logKey.name, ALG_ED25519, logKey.publicKey);
  const witnesses = await Promise.all(
    witnessKeys.map(async (w) => ({
      ...w,
      cosignId: await keyId(w.name, ALG_COSIGNATURE_V1, w.publicKey),
    })),
  );
  let logSigned = false;
  const cosigned = new Map();
  for (const sig of note.signatures) {
    if (sig.name === logKey.name && sig.keyId === logId) {
      const ok =
        sig.raw.length === 64 &&
        (await crypto.subtle.verify({ name: "Ed25519" }, logKey.key, sig.raw, body));
      if (!ok) fail("the log's signature does not match the log key");
      logSigned = true;
      continue;
    }
    const w = witnesses.find((k) => k.name === sig.name && k.cosignId === sig.keyId);
    if (!w) continue; // signatures of unknown keys are ignored (c2sp.org/signed-note)
    if (sig.raw.length !== 72) fail(`the cosignature of ${w.name} has the wrong length`);
    const stamp = new DataView(sig.raw.buffer, sig.raw.byteOffset).getBigUint64(0);
    if (stamp >= 1n << 63n) fail(`the cosignature of ${w.name} has an impossible time`);
    const message = concat(enc.encode(`cosignature/v1\ntime ${stamp}\n`), body);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, w.key, sig.raw.slice(8), message);
    if (!ok) fail(`the cosignature of witness ${w.name} does not match its key`);
    cosigned.set(w.name, stamp);
  }
  if (!logSigned) fail("the checkpoint is not signed by the log key");
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== logKey.name) fail("the checkpoint is from another log");
  for (const w of witnesses) {
    if (!cosigned.has(w.name)) fail(`witness ${w.name} did not cosign the checkpoint`);
  }
  return { checkpoint, text: note.text, cosigned };
}

// c2sp.org/tlog-proof@v1: optional extra (the entry's bytes), index, path, checkpoint note.
export function parseTlogProof(text) {
  const sep = text.indexOf("\n\n");
  if (sep < 0) fail("malformed proof: no checkpoint");
  const head = text.slice(0, sep).split("\n");
  if (head[0] !== TLOG_PROOF_HEADER) fail("malformed proof: not a tlog-proof");
  let pos = 1;
  let extra = null;
  if (pos < head.length && head[pos].startsWith("extra ")) {
    extra = b64decode(head[pos].slice(6), "proof extra data");
    pos += 1;
  }
  if (pos >= head.length || !head[pos].startsWith("index ")) fail("malformed proof: no index");
  const idx = head[pos].slice(6);
  if (!/^(0|[1-9][0-9]{0,18})$/.test(idx)) fail("malformed proof: index");
  const hashes = head.slice(pos + 1).map((line) => {
    const h = b64decode(line, "proof hash");
    if (h.length !== 32) fail("malformed proof: a hash is not 32 bytes");
    return h;
  });
  if (hashes.length > MAX_PROOF_LENGTH) fail("malformed proof: too many hashes");
  return { index: BigInt(idx), hashes, note: text.slice(sep + 2), extra };
}

// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
export async function rootFromInclusion(index, size, leafHash, hashes) {
  if (index >= size) fail("the entry is not inside the checkpoint's tree");
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of hashes) {
    if (sn === 0n) fail("the inclusion proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(concat(Uint8Array.of(0x01), p, r));
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await sha256(concat(Uint8Array.of(0x01), r, p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("the inclusion proof is too short");
  return r;
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// One entry: its proof's checkpoint is the verified one shown, its bytes hash into that tree,
// and they are the event shown, about this page's subject.
export async function verifyEntry(el, ctx) {
  const proof = parseTlogProof(el.getAttribute("data-tlog-proof") || "");
  if (String(proof.index) !== el.dataset.index) fail("the proof is for another entry");
  if (!proof.extra) fail("the proof carries no entry");
  const signed = await verifyCheckpoint(proof.note, ctx.logKey, ctx.witnessKeys);
  if (signed.text !== ctx.checkpoint.text) fail("proved against another checkpoint");
  const leaf = await sha256(concat(Uint8Array.of(0x00), proof.extra));
  const root = await rootFromInclusion(proof.index, signed.checkpoint.size, leaf, proof.hashes);
  if (!equalBytes(root, signed.checkpoint.root)) fail("the entry is not in the signed log");
  const event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(proof.extra));
  const shown = JSON.parse(el.dataset.event || "null");
  if (canonical(event) !== canonical(shown)) fail("the entry shown is not the entry proved");
  if (event.subject !== ctx.subject) fail("the entry is about someone else");
  checkShown(el, event);
  return event;
}

// What the page shows of an entry must be what was proved, not other text beside it.
function checkShown(el, event) {
  const want = {
    purpose: event.purpose,
    controller: event.controller,
    system: event.system,
    data_categories: (event.data_categories || []).join(", "),
  };
  for (const [name, value] of Object.entries(want)) {
    const shown = el.querySelector(`[data-field="${name}"]`);
    if (!shown || shown.textContent !== value) fail(`the ${name} shown is not the one proved`);
  }
  const time = el.querySelector('[data-field="time"]');
  const proved = Math.floor(Date.parse(event.time) / 1000);
  if (!time || Math.floor(Date.parse(time.getAttribute("datetime")) / 1000) !== proved) {
    fail("the time shown is not the one proved");
  }
  if (el.dataset.action !== event.action) fail("the action shown is not the one proved");
}

function mark(el, badge, ok, text, error) {
  el.dataset.verified = ok ? "true" : "false";
  if (!badge) return;
  badge.dataset.state = ok ? "verified" : "failed";
  badge.textContent = text;
  if (!ok && error) {
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = error instanceof VerifyError ? error.message : "this browser could not check it";
    badge.append(" ", why);
  }
}

// Verify the page's checkpoint and every [data-trace-entry], marking each with
// data-verified="true"|"false" and a badge in plain words. Resolves to [{index, ok, error}].
export async function markTrace(doc = document) {
  const main = doc.querySelector("[data-trace]");
  const text = main.dataset;
  let ctx = null;
  let cpError = null;
  try {
    const logKey = await parseVkey(doc.querySelector("[data-log-vkey]").textContent);
    const witnessKeys = await Promise.all(
      [...doc.querySelectorAll("[data-witness-vkey]")].map((e) => parseVkey(e.textContent)),
    );
    if (witnessKeys.some((w) => w.name === logKey.name)) fail("a witness has the log's name");
    const noteEl = doc.querySelector("[data-checkpoint-note]");
    if (!noteEl) fail("no checkpoint is shown");
    const checkpoint = await verifyCheckpoint(noteEl.textContent, logKey, witnessKeys);
    ctx = { logKey, witnessKeys, checkpoint, subject: main.dataset.subject };
  } catch (e) {
    cpError = e;
  }
  const cpBadge = doc.querySelector("[data-checkpoint-badge]");
  if (cpBadge) {
    mark(cpBadge, cpBadge, !cpError, cpError ? text.textCpFailed : text.textCpVerified, cpError);
  }
  const results = [];
  for (const el of doc.querySelectorAll("[data-trace-entry]")) {
    const badge = el.querySelector("[data-badge]");
    try {
      if (!ctx) throw cpError;
      await verifyEntry(el, ctx);
      mark(el, badge, true, text.textVerified);
      results.push({ index: el.dataset.index, ok: true, error: null });
    } catch (e) {
      mark(el, badge, false, text.textFailed, e);
      results.push({ index: el.dataset.index, ok: false, error: String(e && e.message) });
    }
  }
  main.dataset.verifyDone = "true";
  return results;
}
