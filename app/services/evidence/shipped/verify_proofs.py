#!/usr/bin/env python3
"""Check a Moksori case file's trusted timestamps without Moksori: Python 3.8+ alone.

Run it from the folder the case file was unpacked into (or give that folder):

    python3 -I timestamps/verify_proofs.py [FOLDER]

It checks, for every piece in timestamps/proofs.json, that the piece's file in this folder,
with its salt, leads through its path to the root that was stamped (RFC 9162, section 2.1):

    leaf      = SHA-256(0x00 || salt || SHA-256(file))
    node      = SHA-256(0x01 || left || right)
    imprint   = SHA-256(root), what the time-stamping authority signed (RFC 3161)

and that each audit-log head (the last leaf of every batch) leads to its root too; that every
file matches the SHA-256 manifest.json lists; then it prints the OpenSSL commands that check
each token's signature and the organization's signature (VERIFY.txt explains them).
Exit status 0: everything checked matches; 1: something does not (each failure is named).
"""
import hashlib
import json
import sys
from pathlib import Path


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(leaf_data):
    return sha256(b"\x00" + leaf_data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def root_from_path(leaf, index, size, path):
    """RFC 9162 section 2.1.3.2: the root that `path` leads to from `leaf`, or None."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def inside(folder, name):
    """A path named in the case file, refused if it would leave the folder."""
    target = (folder / name).resolve()
    if folder.resolve() not in target.parents:
        raise ValueError("path outside the case file: " + name)
    return target


def check_manifest(folder, failures):
    manifest = json.loads((folder / "manifest.json").read_bytes())
    for entry in manifest.get("files", []):
        try:
            data = inside(folder, entry["path"]).read_bytes()
        except (OSError, ValueError) as error:
            failures.append("{}: cannot be read ({})".format(entry["path"], error))
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            failures.append("{}: SHA-256 differs from manifest.json".format(entry["path"]))
    return manifest


def fold(leaf, entry):
    path = [bytes.fromhex(node) for node in entry["path"]]
    return root_from_path(leaf, entry["leaf_index"], entry["tree_size"], path) == bytes.fromhex(entry["root"])


def main(argv):
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    proofs = json.loads((folder / "timestamps" / "proofs.json").read_bytes())
    failures = []  # type: list[str]
    manifest = check_manifest(folder, failures)
    print("manifest.json: {} files checked".format(len(manifest.get("files", []))))
    for entry in proofs.get("proofs", []):
        try:
            data = inside(folder, entry["file"]).read_bytes()
        except (OSError, ValueError) as error:
            failures.append("{}: cannot be read ({})".format(entry["file"], error))
            continue
        leaf = leaf_hash(bytes.fromhex(entry["salt"]) + sha256(data))
        if fold(leaf, entry):
            print("OK   {}  leaf {} of {} -> root {}  ({}, {})".format(
                entry["file"], entry["leaf_index"], entry["tree_size"], entry["root"][:16], entry["token"],
                entry["time"]))
        else:
            failures.append("{}: these bytes are not the ones stamped (the leaf from the file and its salt does "
                            "not lead to root {})".format(entry["file"], entry["root"]))
    for head in proofs.get("audit_heads", []):
        if fold(leaf_hash(head["leaf_data"].encode()), head):
            print("OK   audit log head, event {} ({})  -> root {}".format(
                head["audit_event"], head["token"], head["root"][:16]))
        else:
            failures.append("audit log head in {}: does not lead to root {}".format(head["token"], head["root"]))
    for batch in proofs.get("batches", []):
        if sha256(bytes.fromhex(batch["root"])).hex() != batch["imprint"]:
            failures.append("{}: imprint is not SHA-256 of root {}".format(batch["token"], batch["root"]))
    for entry in proofs.get("waiting", []):
        print("WAIT {}  {}".format(entry.get("file") or entry.get("piece"), entry.get("reason")))
    for failure in failures:
        print("FAIL " + failure)
    print()
    print(f"Now check each token and the signature with OpenSSL (run in {folder}):")
    for batch in proofs.get("batches", []):
        print("  " + batch["openssl"])
    signature = manifest.get("signature") or {}
    if signature.get("openssl"):
        print("  " + signature["openssl"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
