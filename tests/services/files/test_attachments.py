"""Accepting a file: refusals with their reasons; names that keep their Hangul and lose paths."""
from __future__ import annotations

import pytest

from app.services.files.attachments import UploadRejected, clean_filename, prepare


def test_prepare_rejects_with_reasons():
    with pytest.raises(UploadRejected) as empty:
        prepare("a.txt", b"", 10, False)
    assert empty.value.reason == "empty"
    with pytest.raises(UploadRejected) as large:
        prepare("a.txt", b"x" * 11, 10, False)
    assert large.value.reason == "too_large"
    with pytest.raises(UploadRejected) as damaged:
        prepare("a.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", 1000, False)
    assert damaged.value.reason == "damaged"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("증언 기록.pdf", "증언 기록.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\회령 사진.jpg", "회령 사진.jpg"),
        ("\u1112\u1161\u11ab\u1100\u1173\u11af.txt", "한글.txt"),  # NFD from macOS becomes NFC
        ("bad\x00name\x07.txt", "badname.txt"),
        ("", "file"),
    ],
)
def test_filenames_keep_hangul_and_lose_paths(raw, expected):
    assert clean_filename(raw) == expected
