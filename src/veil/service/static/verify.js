// In-browser verification of a person's trace with WebCrypto only (SHA-256 and Ed25519):
// C2SP signed notes and checkpoints, tlog-cosignature/v1, c2sp.org/tlog-proof@v1 and RFC 9162
// inclusion proofs (leaf 0x00, node 0x01). It trusts only the keys printed on the page and
// never a "verified" flag from the server: every badge is the result of checks done here.

import {
  VerifyError,
  concat,
  equalBytes,
  fail,
  localized,
  parseVkey,
  sha256,
  verifyCheckpoint,
} from "./note.js";
import { parseTlogProof, rootFromInclusion } from "./tlog.js";

export {
  VerifyError,
  b64decode,
  b64encode,
  parseCheckpoint,
  parseNote,
  parseVkey,
  verifyCheckpoint,
} from "./note.js";
export { parseTlogProof, rootFromInclusion } from "./tlog.js";

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
  const want = [
    ["purpose", event.purpose, () => fail("the purpose shown is not the one proved")],
    ["controller", event.controller, () => fail("the controller shown is not the one proved")],
    ["system", event.system, () => fail("the system shown is not the one proved")],
    [
      "data_categories",
      (event.data_categories || []).join(", "),
      () => fail("the kinds of data shown are not the ones proved"),
    ],
  ];
  for (const [name, value, wrong] of want) {
    const shown = el.querySelector(`[data-field="${name}"]`);
    if (!shown || shown.textContent !== value) wrong();
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
    why.textContent =
      error instanceof VerifyError
        ? localized(error.message)
        : localized("this browser could not check it");
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
