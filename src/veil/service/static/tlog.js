// c2sp.org/tlog-proof@v1 texts, RFC 9162 inclusion and consistency proofs (leaf 0x00, node 0x01).
import { b64decode, concat, equalBytes, fail, sha256 } from "./note.js";

const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";
const MAX_PROOF_LENGTH = 63;

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


// RFC 9162 section 2.1.4.2: does the consistency proof lead from the old root to the new one?
export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, hashes) {
  if (oldSize > newSize) fail("the older checkpoint is larger than the newer one");
  if (oldSize === newSize) {
    if (hashes.length !== 0) fail("a proof between equal sizes must be empty");
    if (!equalBytes(oldRoot, newRoot)) fail("two checkpoints of one size with different roots");
    return;
  }
  if (oldSize === 0n) return; // the empty tree is consistent with every tree
  if (hashes.length === 0) fail("the consistency proof is empty");
  const path = (oldSize & (oldSize - 1n)) === 0n ? [oldRoot, ...hashes] : hashes;
  let fn = oldSize - 1n;
  let sn = newSize - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) fail("the consistency proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await sha256(concat(Uint8Array.of(0x01), c, fr));
      sr = await sha256(concat(Uint8Array.of(0x01), c, sr));
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await sha256(concat(Uint8Array.of(0x01), sr, c));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("the consistency proof is too short");
  if (!equalBytes(fr, oldRoot)) fail("the proof does not lead to the older checkpoint's root");
  if (!equalBytes(sr, newRoot)) fail("the proof does not lead to the newer checkpoint's root");
}
