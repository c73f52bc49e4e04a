"""`flask keys pad-existing`: values and files sealed before padding existed are sealed again
padded, the clear size column becomes a class, and everything still reads back."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Message, Note, Setting, Submission
from app.sealed import crypto, repad, sealing, vault
from tests.factories import SubmissionFactory
from tests.helpers import post_form

FILE = b"an old file, written before padding. " * 100


def old_style(monkeypatch):
    """Seal as versions before padding did: no padding, no size among the hashes."""
    monkeypatch.setattr(sealing, "aead_encrypt_padded", crypto.aead_encrypt)
    monkeypatch.setattr(vault, "seal_padded", crypto.seal)
    monkeypatch.setattr(sealing, "seal_padded", crypto.seal)
    monkeypatch.setattr(sealing, "encrypt_stream", lambda s, t, k: crypto.encrypt_stream(s, t, k, padded=False))
    monkeypatch.setattr(vault, "padded_length", lambda size: size)


def padded_everywhere(app, item_id: int, keyring) -> bool:
    with app.app_context():
        item = db.session.get(Submission, item_id)
        key = vault.staff_key(keyring, item)
        place = f"submission.content:{item.public_id}".encode()
        checks = [crypto.is_padded(key.key, item.content_sealed, place),
                  crypto.is_padded_seal(keyring.recipient("identity"), item.contact_sealed,
                                        f"submission.contact:{item.public_id}".encode())]
        checks += [crypto.is_padded(key.key, m.body_sealed, f"message.body:{m.id}:{m.author}:{item.public_id}"
                                    .encode()) for m in db.session.scalars(sa.select(Message))]
        checks += [crypto.is_padded_seal(keyring.recipient("org"), n.body_sealed,
                                         f"note.body:{n.id}:{item.public_id}".encode())
                   for n in db.session.scalars(sa.select(Note))]
        for attachment in db.session.scalars(sa.select(Attachment)):
            path = Path(app.config["UPLOAD_DIR"], attachment.stored_name[:2], attachment.stored_name)
            checks.append(crypto.file_is_padded(path.read_bytes()[:4]))
            checks.append(attachment.size_class == crypto.padded_length(len(FILE)))
        db.session.rollback()
    return all(checks)


def test_pad_existing_pads_every_value_and_file_and_they_read_back(app, runner, auth, client, org_keys, monkeypatch):
    with monkeypatch.context() as before:
        old_style(before)
        item = SubmissionFactory(narrative="패딩 이전에 적힌 증언입니다.", files=[("옛 기록.txt", FILE)],
                                 contact_handle="@old", contact_alias="옛 이름", contact_channel="signal",
                                 followups=("옛 답글입니다.",), notes=("옛 메모",))
    with app.app_context():
        db.session.merge(Setting(key=repad.NEEDED, value="true"))
        db.session.commit()
    assert not padded_everywhere(app, item.id, org_keys.keyring)
    status = runner.invoke(args=["keys", "status"])
    assert "pad-existing" in status.output
    result = runner.invoke(args=["keys", "pad-existing"], input=f"{org_keys.code}\n")
    assert result.exit_code == 0, result.output
    assert "padded" in result.output
    assert padded_everywhere(app, item.id, org_keys.keyring)
    assert "pad-existing" not in runner.invoke(args=["keys", "status"]).output
    again = runner.invoke(args=["keys", "pad-existing", "--restart"], input=f"{org_keys.code}\n")
    assert "padded 0 values and 0 files" in again.output  # nothing twice
    auth.login(contact_access=True)
    page = client.get(f"/staff/submissions/{item.public_id}").get_data(as_text=True)
    assert "패딩 이전에 적힌 증언입니다" in page and "옛 답글입니다" in page and "옛 메모" in page
    assert "옛 기록.txt" in page
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    download = client.get(f"/staff/submissions/{item.public_id}/files/{attachment_id}")
    assert download.data == FILE and int(download.headers["Content-Length"]) == len(FILE)
    submitter = app.test_client()
    assert post_form(submitter, "/ko/receipt", {"code": item.receipt_code}).status_code == 302
    assert "옛 답글입니다" in submitter.get("/ko/receipt/status").get_data(as_text=True)
