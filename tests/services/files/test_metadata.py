"""Every accepted type that carries identifying metadata loses it on upload unless the submitter
keeps it, and still opens as its type afterwards; the types that cannot be cleaned are kept as
sent and named (tests/corpus.py builds one marked file of each)."""
from __future__ import annotations

import hashlib
import io
import struct
import zipfile

import pikepdf
import pytest
from PIL import Image

from app.services.files import metadata
from app.services.files.attachments import UploadRejected, prepare
from app.services.files.filetypes import ACCEPTED, detect
from tests import corpus

SAMPLES = corpus.samples()
KEPT = corpus.kept_as_sent()
LIMIT = 50_000_000


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.media_type)
def test_metadata_is_removed_and_the_file_still_opens(sample):
    assert detect(sample.data).media_type == sample.media_type
    assert sample.found(sample.data) == sample.markers  # the corpus really carries each marker
    prepared = prepare(sample.name, sample.data, LIMIT, keep_metadata=False)
    assert prepared.metadata_stripped
    assert sample.found(prepared.data) == []
    assert prepared.file_type.media_type == sample.media_type
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest() != prepared.received_sha256
    sample.opens(prepared.data)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.media_type)
def test_keeping_metadata_keeps_every_byte(sample):
    prepared = prepare(sample.name, sample.data, LIMIT, keep_metadata=True)
    assert prepared.data == sample.data and not prepared.metadata_stripped
    assert prepared.sha256 == prepared.received_sha256


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.media_type.startswith("image/")],
                         ids=lambda s: s.media_type)
def test_pictures_are_not_reencoded(sample):
    cleaned = prepare(sample.name, sample.data, LIMIT, keep_metadata=False).data
    with Image.open(io.BytesIO(sample.data)) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert before.tobytes() == after.tobytes()


@pytest.mark.parametrize("sample", KEPT, ids=lambda s: s.media_type)
def test_types_that_cannot_be_cleaned_are_kept_as_sent_and_named(sample):
    prepared = prepare(sample.name, sample.data, LIMIT, keep_metadata=False)
    assert prepared.data == sample.data and not prepared.metadata_stripped
    assert metadata.metadata_state(sample.media_type, False, kept_by_choice=False) == "not_removed"
    assert f".{prepared.file_type.extension}" in metadata.not_cleaned_extensions()


def test_every_accepted_type_has_a_decision_and_a_sample():
    groups = [set(metadata.CLEANERS), metadata.NOT_CLEANED, metadata.NO_METADATA]
    for file_type in ACCEPTED:
        assert sum(file_type.media_type in group for group in groups) == 1, file_type
    assert {s.media_type for s in SAMPLES} == set(metadata.CLEANERS)
    assert {s.media_type for s in KEPT} == metadata.NOT_CLEANED
    assert metadata.not_cleaned_extensions() == [".hwp", ".doc", ".xls", ".ppt", ".webm"]


def test_what_officers_are_told():
    state = metadata.metadata_state
    assert state("image/webp", True, kept_by_choice=False) == "removed"
    assert state("image/webp", False, kept_by_choice=True) == "kept"
    assert state("image/webp", False, kept_by_choice=False) == "not_removed"  # e.g. stored before cleaning
    assert state("application/x-hwp", False, kept_by_choice=True) == "not_removed"
    assert state("text/plain", False, kept_by_choice=False) == ""


def test_jpeg_orientation_is_written_as_standard_exif():
    cleaned = prepare("a.jpg", corpus.jpeg(), LIMIT, keep_metadata=False).data
    app1 = cleaned.index(b"\xff\xe1")
    assert cleaned[app1 + 4 : app1 + 12] == b"Exif\x00\x00MM"  # not "Exif\0\0Exif\0\0", which browsers ignore
    assert cleaned.endswith(b"\xff\xd9") and cleaned.count(b"\xff\xd9") == 1


def test_comments_between_the_scans_of_a_progressive_jpeg_go():
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 40).convert("RGB").save(buffer, "JPEG", progressive=True, exif=corpus.exif())
    original = buffer.getvalue()
    last_scan = original.rindex(b"\xff\xda")
    comment = b"\xff\xfe" + struct.pack(">H", len(corpus.PLACE) + 2) + corpus.PLACE.encode()
    marked = original[:last_scan] + comment + original[last_scan:]
    cleaned = prepare("a.jpg", marked, LIMIT, keep_metadata=False).data
    assert corpus.PLACE.encode() not in cleaned and corpus.PHONE.encode() not in cleaned
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert before.tobytes() == after.tobytes()


def test_a_pdf_that_needs_a_password_is_kept_as_sent():
    document = pikepdf.new()
    document.add_blank_page()
    document.docinfo["/Author"] = corpus.PHONE
    buffer = io.BytesIO()
    document.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    prepared = prepare("잠긴.pdf", buffer.getvalue(), LIMIT, keep_metadata=False)
    assert prepared.data == buffer.getvalue() and not prepared.metadata_stripped


def test_a_pdf_with_only_an_owner_password_is_cleaned_and_stays_protected():
    document = pikepdf.new()
    document.add_blank_page()
    document.docinfo["/Author"] = corpus.PHONE
    buffer = io.BytesIO()
    document.save(buffer, encryption=pikepdf.Encryption(user="", owner="owner"))
    prepared = prepare("제한.pdf", buffer.getvalue(), LIMIT, keep_metadata=False)
    assert prepared.metadata_stripped
    with pikepdf.open(io.BytesIO(prepared.data)) as pdf:
        assert pdf.is_encrypted and "/Author" not in pdf.docinfo


def _corrupted_entry(data: bytes, name: bytes) -> bytes:
    """A ZIP whose entry `name` has its compressed bytes damaged (the directory still reads)."""
    start = data.index(name) + len(name)  # the local header's name: its compressed bytes follow
    return data[:start + 5] + bytes(b ^ 0x5A for b in data[start + 5 : start + 25]) + data[start + 25 :]


DAMAGED = {
    "docx": _corrupted_entry(corpus.ooxml("docx").data, b"docProps/core.xml"),
    "wav": b"RIFF\x24\x00\x00\x00WAVEdata\x00\x00\x00\x00" + bytes(28),
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64"[:1],
    "pdf": b"%PDF-1.7\n" + bytes(40),
    "mp4": b"\x00\x00\x00\x14ftypisom\x00\x00\x00\x00isom" + b"\x00\x00\x10\x00moov",
    "rtf": b"{\\rtf1 {\\info {\\author x}",
    "webp": corpus.webp()[:40],
}


@pytest.mark.parametrize("extension", DAMAGED)
def test_a_damaged_file_of_a_cleanable_type_is_refused(extension):
    name, data = f"깨진.{extension}", DAMAGED[extension]
    with pytest.raises(UploadRejected) as refused:
        prepare(name, data, LIMIT, keep_metadata=False)
    assert refused.value.reason == "damaged"
    assert prepare(name, data, LIMIT, keep_metadata=True).data == data  # kept as sent when asked


def test_tiff_is_not_accepted():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "TIFF", exif=corpus.exif())
    with pytest.raises(UploadRejected) as refused:
        prepare("scan.tif", buffer.getvalue(), LIMIT, keep_metadata=False)
    assert refused.value.reason == "type"


def test_a_signed_pdf_is_kept_as_sent():
    """A rewrite would make its signature fail (and the signer's certificate names them anyway)."""
    document = pikepdf.open(io.BytesIO(corpus.pdf()))
    signature = document.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Sig, Filter=pikepdf.Name("/Adobe.PPKLite"), SubFilter=pikepdf.Name("/adbe.pkcs7.detached"),
        ByteRange=[0, 10, 20, 30], Contents=pikepdf.String(bytes(64))))
    document.Root.AcroForm = pikepdf.Dictionary(SigFlags=3, Fields=[document.make_indirect(pikepdf.Dictionary(
        FT=pikepdf.Name.Sig, T="Signature1", V=signature))])
    buffer = io.BytesIO()
    document.save(buffer)
    prepared = prepare("서명.pdf", buffer.getvalue(), LIMIT, keep_metadata=False)
    assert prepared.data == buffer.getvalue() and not prepared.metadata_stripped


def test_a_signed_office_document_is_kept_as_sent():
    with zipfile.ZipFile(io.BytesIO(corpus.ooxml("docx").data)) as source:
        parts = [(name, source.read(name)) for name in source.namelist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as signed:
        for name, content in [*parts, ("_xmlsignatures/sig1.xml", b"<Signature/>")]:
            signed.writestr(name, content)
    prepared = prepare("서명.docx", buffer.getvalue(), LIMIT, keep_metadata=False)
    assert prepared.data == buffer.getvalue() and not prepared.metadata_stripped
