"""static/verify.js against published vectors, in the browser: transparency-dev's RFC 9162
inclusion proofs, Go's sumdb/note keys and signature, and C2SP's tlog-proof example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.harness import PageServer, open_page

VECTORS = Path(__file__).resolve().parents[2] / "ledger" / "vectors"
BLANK = '<!doctype html><html lang="en"><head><title>t</title><link rel="icon" href="data:,"></head><body></body></html>'


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def page(browser: Any, server: PageServer) -> Any:
    page, errors = open_page(browser, "desktop")
    page.goto(server.page("/", BLANK))
    yield page
    assert not errors, errors
    page.context.close()


INCLUSION_JS = """async (cases) => {
  const v = await import("/static/verify.js");
  const out = [];
  for (const c of cases) {
    try {
      const hashes = (c.proof || []).map((h) => v.b64decode(h, "hash"));
      const root = await v.rootFromInclusion(
        BigInt(c.leafIdx), BigInt(c.treeSize), v.b64decode(c.leafHash, "leaf"), hashes);
      out.push(v.b64encode(root) === c.root);
    } catch (e) {
      out.push(false);
    }
  }
  return out;
}"""


def test_inclusion_proofs_of_transparency_dev(page: Any) -> None:
    cases = _load("transparency_dev_merkle.json")["inclusion"]
    got = page.evaluate(INCLUSION_JS, cases)
    assert got == [not c["wantErr"] for c in cases]
    assert any(c["wantErr"] for c in cases) and any(not c["wantErr"] for c in cases)


KEYS_JS = """async ([good, bad]) => {
  const v = await import("/static/verify.js");
  const ok = async (k) => { try { await v.parseVkey(k); return true; } catch { return false; } };
  return [await Promise.all(good.map(ok)), await Promise.all(bad.map(ok))];
}"""


def test_verifier_keys_of_go_sumdb_note_and_transparency_dev(page: Any) -> None:
    n = _load("c2sp_notes.json")
    good = [
        n["peter_vkey"],
        n["enoch_vkey"],
        n["ed25519_vkey_convertible_to_cosigner"],
        *n["cosigner_vkeys_valid"],
    ]
    ok, bad = page.evaluate(KEYS_JS, [good, n["vkeys_invalid"]])
    assert ok == [True] * len(good)
    assert bad == [False] * len(n["vkeys_invalid"])


SIG_JS = """async ([vkey, note]) => {
  const v = await import("/static/verify.js");
  const key = await v.parseVkey(vkey);
  const parsed = v.parseNote(note);
  const sig = parsed.signatures[0];
  const body = new TextEncoder().encode(parsed.text);
  const good = await crypto.subtle.verify({name: "Ed25519"}, key.key, sig.raw, body);
  body[0] ^= 1;
  const changed = await crypto.subtle.verify({name: "Ed25519"}, key.key, sig.raw, body);
  return [sig.name, good, changed];
}"""


def test_a_go_sumdb_note_signature_verifies_with_webcrypto(page: Any) -> None:
    n = _load("c2sp_notes.json")
    note = n["text"] + "\n" + n["peter_sig_line"]
    assert page.evaluate(SIG_JS, [n["peter_vkey"], note]) == ["PeterNeumann", True, False]


PROOF_JS = r"""async (text) => {
  const v = await import("/static/verify.js");
  const p = v.parseTlogProof(text);
  const cp = v.parseCheckpoint(p.note.endsWith("\n") ? p.note : p.note + "\n");
  return [String(p.index), p.hashes.length, p.extra !== null, cp.origin, String(cp.size)];
}"""


def test_the_c2sp_tlog_proof_example_parses(page: Any) -> None:
    text = _load("c2sp_examples.json")["tlog_proof"]
    got = page.evaluate(PROOF_JS, text)
    assert got == ["73894", 5, True, "example.com/fancylog", "109482"]


CONSISTENCY_JS = """async (cases) => {
  const v = await import("/static/verify.js");
  const t = await import("/static/tlog.js");
  const out = [];
  for (const c of cases) {
    try {
      const hashes = (c.proof || []).map((h) => v.b64decode(h, "hash"));
      await t.verifyConsistency(BigInt(c.size1), BigInt(c.size2),
        v.b64decode(c.root1, "root"), v.b64decode(c.root2, "root"), hashes);
      out.push(true);
    } catch (e) {
      out.push(false);
    }
  }
  return out;
}"""


def test_consistency_proofs_of_transparency_dev(page: Any) -> None:
    """static/tlog.js's RFC 9162 consistency check (the auditor's page) accepts exactly the
    published proofs that are valid, and refuses each of them with one hash changed."""
    cases = _load("transparency_dev_merkle.json")["consistency"]
    assert page.evaluate(CONSISTENCY_JS, cases) == [not c["wantErr"] for c in cases]
    mutated = []
    for c in cases:
        if c["proof"] and not c["wantErr"]:
            first = c["proof"][0]
            flipped = ("B" if first[0] == "A" else "A") + first[1:]
            mutated.append({**c, "proof": [flipped, *c["proof"][1:]]})
    assert mutated and page.evaluate(CONSISTENCY_JS, mutated) == [False] * len(mutated)
