// C2SP signed notes, verifier keys, checkpoints and tlog-cosignature/v1, with WebCrypto only
// (SHA-256, Ed25519): byte for byte what veil.ledger.note checks on the server.

const enc = new TextEncoder();
const EM_DASH = "\u2014";
const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;

export class VerifyError extends Error {}

export function fail(message) {
  throw new VerifyError(message);
}

// A reason in the page's language, from the page's data-reasons (English -> translated, as
// veil.service.pages.reasons makes it): each {} of a reason stands for a part of the message,
// itself translated when the table has it. A reason the table lacks stays as it is.
export function localized(message, doc = document) {
  const main = doc.querySelector("main");
  let table = {};
  try {
    table = JSON.parse((main && main.dataset.reasons) || "{}");
  } catch {
    return message;
  }
  const own = (key) => Object.prototype.hasOwnProperty.call(table, key);
  if (own(message)) return table[message];
  const quote = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const [english, text] of Object.entries(table)) {
    if (!english.includes("{}")) continue;
    const found = new RegExp(`^${english.split("{}").map(quote).join("(.+?)")}$`).exec(message);
    if (!found) continue;
    let i = 1;
    return text.replace(/\{\}/g, () => {
      const part = found[i++];
      return own(part) ? table[part] : part;
    });
  }
  return message;
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

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
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

