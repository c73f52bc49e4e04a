"""A case file that stands on its own: timestamp proofs, tokens and the authority's certificates,
a signature, and the item's chain of custody — checked by the portal (`flask export verify`) and,
unpacked into a folder, by `python3 -I` and OpenSSL alone, with the exact commands VERIFY.txt
gives. Then the attacks: a piece changed after stamping, a tampered signature, a tampered token,
a custody entry removed. Real parts throughout: the public form, the officer's pages, an RFC 3161
authority (`openssl ts -reply`, tests/tsa.py) on loopback."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Submission
from app.sealed import signing
from app.sealed import tsa as tsa_client
from app.services.evidence import timestamps
from tests.helpers import act, jpeg_with_gps, pdf_bytes, submit_report

PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


@pytest.fixture
def stamped_case_file(app, client, auth, tsa, tmp_path, monkeypatch):
    """A report with two files sent through the public form and stamped; an officer reads it,
    writes to the submitter (a message not stamped yet) and exports the case file."""
    monkeypatch.setitem(app.config, "TSA_URLS", (tsa.url,))
    monkeypatch.setitem(app.config, "TSA_CA_FILE", tsa.ca_file)
    sent = submit_report(client, narrative="회령 보위부에서 있었던 일", files=[("사진.jpg", jpeg_with_gps()),
                                                                        ("증언.pdf", pdf_bytes("2019"))])
    assert sent.status_code == 200
    with app.app_context():
        result = timestamps.run(db.session, [tsa.url], tsa_client.load_anchors(tsa.ca_file), timeout=5)
        assert result.outcome == "stamped" and result.pieces == 3, result
        public_id = db.session.scalar(sa.select(Submission.public_id))
    auth.login(email="officer@example.org")
    assert client.get(f"/staff/submissions/{public_id}").status_code == 200  # viewed: in the custody log
    assert act(client, public_id, "message", {"body": "날짜를 기억하시나요?"}).status_code == 302
    response = act(client, public_id, "export", {})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    path = tmp_path / "case.zip"
    path.write_bytes(response.data)
    return public_id, path


def unpack(path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


def verify_commands(folder: Path) -> list[str]:
    """The command lines VERIFY.txt gives (indented, starting with openssl), exactly as written."""
    text = (folder / "VERIFY.txt").read_text(encoding="utf-8")
    english = text.split("----------")[-1]
    return [line.strip() for line in english.splitlines() if line.strip().startswith("openssl ")]


def run_shell(command: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=60)


def rewrite(path: Path, target: Path, change) -> Path:
    """The case file with `change(name, bytes) -> bytes` applied, its manifest lines brought into
    line as someone without the signing key would (the signature left as it was)."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files = {name: change(name, data) for name, data in files.items()}
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256(files[entry["path"]]).hexdigest()
        entry["size"] = len(files[entry["path"]])
    if change("manifest.json", b"") == b"":  # the manifest is left alone unless asked
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"
    with zipfile.ZipFile(target, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    return target


def test_the_case_file_checks_out_with_python_and_openssl_alone(app, runner, stamped_case_file, tmp_path):
    public_id, path = stamped_case_file
    folder = unpack(path, tmp_path / "unpacked")
    proofs = json.loads((folder / "timestamps" / "proofs.json").read_text())
    assert {p["piece"] for p in proofs["proofs"]} == {"account", "file"} and len(proofs["proofs"]) == 3
    for entry in proofs["proofs"]:
        assert {"file", "salt", "leaf_index", "tree_size", "path", "root", "token", "tsa", "time"} <= set(entry)
        assert (folder / entry["token"]).exists() and entry["tree_size"] == 4  # three pieces and the audit head
    assert [w["piece"] for w in proofs["waiting"]] == ["message"] and "next batch" in proofs["waiting"][0]["reason"]
    account = json.loads((folder / public_id / "pieces" / "account.json").read_bytes())
    assert account["texts"]["narrative"] == "회령 보위부에서 있었던 일"
    assert (folder / public_id / "pieces" / f"message-{proofs['waiting'][0]['message']}.json").exists()

    # The shipped script, with nothing of the portal: isolated mode, run from the unpacked folder.
    script = subprocess.run([PYTHON, "-I", "timestamps/verify_proofs.py"], cwd=folder, capture_output=True,
                            text=True, timeout=60)
    assert script.returncode == 0, script.stdout + script.stderr
    assert script.stdout.count("OK   ") == 4 and "FAIL" not in script.stdout  # 3 pieces, 1 audit head
    assert "WAIT" in script.stdout

    # Every command VERIFY.txt gives, exactly as written.
    commands = verify_commands(folder)
    token_checks = [c for c in commands if c.startswith("openssl ts -verify")]
    signature_checks = [c for c in commands if c.startswith("openssl pkeyutl")]
    fingerprints = [c for c in commands if c.startswith("openssl pkey ")]
    assert len(token_checks) == 1 and len(signature_checks) == 1 and len(fingerprints) == 1
    for command in token_checks:
        checked = run_shell(command, folder)
        assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    checked = run_shell(signature_checks[0], folder)
    assert checked.returncode == 0 and "Signature Verified Successfully" in checked.stdout, checked.stderr
    printed = run_shell(fingerprints[0], folder).stdout.split("=")[-1].strip()
    verify_text = (folder / "VERIFY.txt").read_text(encoding="utf-8")
    assert " ".join(printed[i:i + 4] for i in range(0, 64, 4)) in verify_text
    assert verify_text.index("서명") < verify_text.index("The signature")  # Korean first

    # The portal agrees, and says what it checked.
    result = runner.invoke(args=["export", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 timestamp proof(s) fold to their roots; 1 token(s) verify" in result.output
    assert "signed by this installation's key" in result.output

    custody = json.loads((folder / public_id / "custody.json").read_text())
    kinds = [(e["what"], e["role"], e["account"]) for e in custody["events"]]
    assert kinds[0] == ("received", "submitter", None)
    assert ("viewed", "officer", "officer@example.org") in kinds
    assert ("exported", "officer", "officer@example.org") in kinds
    assert custody["ends_at"]["checkpoint"].startswith("moksori-audit-1:")
    checkpoint = runner.invoke(args=["audit", "verify", "--checkpoint", custody["ends_at"]["checkpoint"]])
    assert checkpoint.exit_code == 0, checkpoint.output
    html = (folder / public_id / "submission.html").read_text()
    assert "관리 연속성" in html or "Chain of custody" in html


def test_a_piece_changed_after_stamping_is_named(app, runner, stamped_case_file, tmp_path):
    public_id, path = stamped_case_file
    photo = f"{public_id}/files/사진.jpg"
    changed = rewrite(path, tmp_path / "changed.zip",
                      lambda name, data: data[:-3] + bytes([data[-3] ^ 1]) + data[-2:] if name == photo else data)
    result = runner.invoke(args=["export", "verify", str(changed)])
    assert result.exit_code == 1
    assert f"{photo}: not the bytes that were stamped" in result.output
    assert "manifest.sig: the signature over manifest.json does not verify" in result.output
    assert "증언.pdf: not the bytes" not in result.output  # only the changed piece is named
    folder = unpack(changed, tmp_path / "changed")
    script = subprocess.run([PYTHON, "-I", "timestamps/verify_proofs.py"], cwd=folder, capture_output=True,
                            text=True, timeout=60)
    assert script.returncode == 1 and f"FAIL {photo}: these bytes are not the ones stamped" in script.stdout


def test_a_tampered_signature_is_refused_by_the_portal_and_by_openssl(app, runner, stamped_case_file, tmp_path):
    _public_id, path = stamped_case_file
    flipped = rewrite(path, tmp_path / "signature.zip",
                      lambda name, data: bytes([data[0] ^ 1]) + data[1:] if name == "manifest.sig" else data)
    result = runner.invoke(args=["export", "verify", str(flipped)])
    assert result.exit_code == 1 and "manifest.sig: the signature over manifest.json does not verify" in result.output
    folder = unpack(flipped, tmp_path / "signature")
    command = next(c for c in verify_commands(folder) if c.startswith("openssl pkeyutl"))
    checked = run_shell(command, folder)
    assert checked.returncode != 0 and "Signature Verified Successfully" not in checked.stdout


def test_a_tampered_token_is_refused_and_the_pieces_it_stamps_are_named(app, runner, stamped_case_file, tmp_path):
    public_id, path = stamped_case_file

    def flip(name, data):
        return data[:-10] + bytes([data[-10] ^ 1]) + data[-9:] if name.endswith(".tsr") else data

    tampered = rewrite(path, tmp_path / "token.zip", flip)
    result = runner.invoke(args=["export", "verify", str(tampered)])
    assert result.exit_code == 1
    assert re.search(rf"{public_id}/files/사진.jpg: token timestamps/batch-\d+.tsr refused", result.output)
    assert f"{public_id}/pieces/account.json: token" in result.output
    folder = unpack(tampered, tmp_path / "token")
    command = next(c for c in verify_commands(folder) if c.startswith("openssl ts -verify"))
    checked = run_shell(command, folder)
    assert "Verification: OK" not in checked.stdout


def test_a_removed_custody_entry_is_named(app, runner, stamped_case_file, tmp_path):
    public_id, path = stamped_case_file
    where = f"{public_id}/custody.json"

    def drop_view(name, data):
        if name != where:
            return data
        custody = json.loads(data)
        custody["events"] = [e for e in custody["events"] if e["action"] != "submission.viewed"]
        return json.dumps(custody, ensure_ascii=False, indent=2).encode()

    removed = rewrite(path, tmp_path / "custody.zip", drop_view)
    result = runner.invoke(args=["export", "verify", str(removed)])
    assert result.exit_code == 1
    assert re.search(rf"{where}: audit event \d+ \(submission.viewed\) of item {public_id} is in the audit log but "
                     "missing from the custody log", result.output), result.output
    assert "manifest.sig: the signature" in result.output


def test_a_case_file_re_signed_with_another_key_is_refused(app, runner, stamped_case_file, tmp_path):
    """Someone changes the custody log, fixes the manifest and signs it with a key of their own:
    the signature holds, OpenSSL's check passes, but the key is not the organization's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_id, path = stamped_case_file
    forger = Ed25519PrivateKey.generate()
    where = f"{public_id}/custody.json"

    def drop_and_resign(name, data):
        if name == where:
            custody = json.loads(data)
            custody["events"] = [e for e in custody["events"] if e["what"] != "viewed"]
            return json.dumps(custody).encode()
        if name == "signing-key.pem":
            return forger.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        return data

    forged = rewrite(path, tmp_path / "forged.zip", drop_and_resign)
    with zipfile.ZipFile(forged) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["manifest.sig"] = forger.sign(files["manifest.json"])
    with zipfile.ZipFile(forged, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    result = runner.invoke(args=["export", "verify", str(forged)])
    assert result.exit_code == 1
    assert "signing-key.pem: signed with a key that is not this installation's" in result.output
    assert "missing from the custody log" in result.output


def test_after_rotate_signing_old_case_files_still_check_and_new_ones_use_the_new_key(
        app, runner, client, auth, stamped_case_file, tmp_path):
    public_id, before = stamped_case_file
    with app.app_context():
        old = signing.current(db.session).public_key
        db.session.rollback()
    rotated = runner.invoke(args=["keys", "rotate-signing", "--yes"])
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        new = signing.current(db.session).public_key
        assert new != old and signing.fingerprint(new) in rotated.output
        assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == \
            "keys.signing_rotated"
        db.session.rollback()
    assert runner.invoke(args=["export", "verify", str(before)]).exit_code == 0  # signed before: still checks

    after = act(client, public_id, "export", {})
    with zipfile.ZipFile(io.BytesIO(after.data)) as archive:
        assert signing.public_from_pem(archive.read("signing-key.pem")) == new
    auth.logout()
    auth.login(role="admin")
    page = client.get("/admin/keys").get_data(as_text=True)
    assert "이전 서명 열쇠" in page and signing.fingerprint(old) in page and signing.fingerprint(new) in page
