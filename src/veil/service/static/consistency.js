// The auditor's pages: each pair of checkpoints is checked in this browser. Both notes must be
// signed by the log key printed on the page, and the RFC 9162 consistency proof must lead from
// the older root to the newer one (the log only grew: nothing was removed or rewritten).
import { VerifyError, b64decode, localized, parseVkey, verifyCheckpoint } from "./note.js";
import { verifyConsistency } from "./tlog.js";

async function getJson(url) {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new VerifyError(`the service answered HTTP ${r.status} for ${url}`);
  return r.json();
}

// A pair the auditor picked (data-fetch): the browser fetches both signed checkpoints and the
// proof between their sizes from the API; the sizes and roots come from the signed notes.
async function fetchPair(el) {
  const older = await getJson(`/api/v1/audit/checkpoints/${Number(el.dataset.oldId)}`);
  const newer = await getJson(`/api/v1/audit/checkpoints/${Number(el.dataset.newId)}`);
  const proof = await getJson(
    `/api/v1/audit/consistency?old=${Number(older.size)}&new=${Number(newer.size)}`,
  );
  el.dataset.oldNote = older.note;
  el.dataset.newNote = newer.note;
  el.dataset.proof = (proof.proof || []).join(" ");
}

async function checkPair(el, logKey) {
  if ("fetch" in el.dataset) await fetchPair(el);
  const older = await verifyCheckpoint(el.dataset.oldNote, logKey, []);
  const newer = await verifyCheckpoint(el.dataset.newNote, logKey, []);
  const hashes = (el.dataset.proof || "")
    .split(" ")
    .filter((h) => h)
    .map((h) => b64decode(h, "proof hash"));
  const a = older.checkpoint;
  const b = newer.checkpoint;
  await verifyConsistency(a.size, b.size, a.root, b.root, hashes);
}

async function markConsistency(root) {
  const main = root.querySelector("main");
  const text = main.dataset;
  let logKey = null;
  let keyError = null;
  try {
    logKey = await parseVkey(root.querySelector("[data-log-vkey]").textContent.trim());
  } catch (e) {
    keyError = e;
  }
  for (const el of root.querySelectorAll("[data-consistency]")) {
    const badge = el.querySelector("[data-badge]");
    try {
      if (keyError) throw keyError;
      await checkPair(el, logKey);
      el.dataset.verified = "true";
      badge.dataset.state = "verified";
      badge.textContent = text.textConsistent;
    } catch (e) {
      el.dataset.verified = "false";
      badge.dataset.state = "failed";
      badge.textContent = text.textInconsistent;
      const why = document.createElement("span");
      why.className = "why";
      why.textContent = localized(e instanceof VerifyError ? e.message : String(e));
      badge.append(why);
    }
  }
  main.dataset.consistencyDone = "true";
}

markConsistency(document);
