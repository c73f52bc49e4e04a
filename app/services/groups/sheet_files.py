"""Reading what a group uploads: the sheet (xlsx or csv) and the ZIP of the files it names.

Both come from people we do not know, so every size is checked before anything is
decompressed: an .xlsx is itself a ZIP, and a ZIP's members are sized by what its directory
declares (zipfile never inflates a member beyond its declared size), so adding the declared
sizes up first stops a zip bomb before openpyxl or we read a byte of it. openpyxl reads in
read-only mode, parses XML through defusedxml (requirements.txt), and is asked for the
formulas as written, never their cached results: a formula is never evaluated, and a cell
that starts like one is kept as the text it is.
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO

from app.services.files.attachments import clean_filename
from app.services.refusal import Refused

MAX_SHEET_BYTES = 10 * 1024 * 1024  # the uploaded .xlsx or .csv
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # all of an .xlsx's members, as declared
MAX_XLSX_MEMBERS = 200
MAX_ZIP_MEMBERS = 1000
MAX_PHYSICAL_ROWS = 5000  # rows read at all, empty or not, before the sheet is refused
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


class SheetRefused(Refused):
    """reason: "type" (neither xlsx nor csv), "macros", "too_large", "bomb", "damaged",
    "too_many_rows", "empty"."""


class ZipRefused(Refused):
    """reason: "type", "too_large", "bomb", "too_many", "damaged"; `name` the member at fault."""

    def __init__(self, reason: str, name: str = ""):
        super().__init__(reason)
        self.name = name


def _cell_text(value: object) -> str:
    """A cell as the text it shows. Dates become ISO dates, whole numbers lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()


def _check_xlsx_container(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_XLSX_MEMBERS:
                raise SheetRefused("bomb")
            if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
                raise SheetRefused("bomb")
            names = {member.filename.lower() for member in members}
            if any(name.endswith("vbaproject.bin") for name in names):
                raise SheetRefused("macros")
            if "[content_types].xml" not in names:
                raise SheetRefused("type")
            types = archive.read("[Content_Types].xml")
    except zipfile.BadZipFile:
        raise SheetRefused("damaged") from None
    if b"macroEnabled" in types:
        raise SheetRefused("macros")
    if XLSX_TYPE.encode() not in types:
        raise SheetRefused("type")


def _xlsx_rows(data: bytes, max_cols: int) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # only the import needs it

    _check_xlsx_container(data)
    try:
        # data_only=False: a formula comes back as its text ("=…"), never as a result Excel
        # cached in the file (which the sender chose) and never evaluated.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_vba=False,
                                 keep_links=False)
    except Exception as error:  # openpyxl raises many kinds on a malformed file
        raise SheetRefused("damaged") from error
    try:
        sheet = workbook.worksheets[0]  # the reports; the allowed answers' sheet is not read
        for row in sheet.iter_rows(max_col=max_cols, values_only=True):
            yield [_cell_text(value) for value in row]
    except SheetRefused:
        raise
    except Exception as error:
        raise SheetRefused("damaged") from error
    finally:
        workbook.close()


def _decode_csv(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else the Korean Windows encoding that Excel
    uses when it saves "CSV" on a Korean system."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError:
        raise SheetRefused("type") from None


def _csv_rows(data: bytes, max_cols: int) -> Iterator[list[str]]:
    text = _decode_csv(data)
    if "\x00" in text:
        raise SheetRefused("type")
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [_cell_text(cell) for cell in row[:max_cols]]
    except csv.Error as error:
        raise SheetRefused("damaged") from error


def sheet_rows(name: str, data: bytes, max_cols: int) -> Iterator[list[str]]:
    """The sheet's rows as text cells, whatever its format; raises SheetRefused. The type is
    decided by content (an .xlsx is a ZIP; an .xls, .xlsm or anything binary is refused)."""
    if not data:
        raise SheetRefused("empty")
    if len(data) > MAX_SHEET_BYTES:
        raise SheetRefused("too_large")
    if data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data, max_cols)
    elif data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data[:4096]:
        raise SheetRefused("type")  # .xls and other binary formats
    else:
        rows = _csv_rows(data, max_cols)
    for number, row in enumerate(rows, start=1):
        if number > MAX_PHYSICAL_ROWS:
            raise SheetRefused("too_many_rows")
        yield row


def _safe_member_name(name: str) -> str | None:
    """A member's file name, or None for one that must not be extracted anywhere: absolute,
    with a drive, or climbing out with "..". Folders inside the ZIP are allowed; the row names
    the file by its last part."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts:
        return None
    return clean_filename(parts[-1])


def zip_members(stream: IO[bytes], max_file_bytes: int, max_total_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """The ZIP's files by name (NFC, the last part of the path), checked before any is read:
    a safe name, each no larger than one upload may be, all together no larger than
    max_total_bytes. Folders and the clutter macOS adds are skipped. Raises ZipRefused."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        raise ZipRefused("type") from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ZipRefused("too_many")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        if info.is_dir() or info.filename.startswith("__MACOSX/") or info.filename.endswith(".DS_Store"):
            continue
        name = _safe_member_name(info.filename)
        if name is None:
            raise ZipRefused("unsafe_name", clean_filename(info.filename))
        if info.file_size > max_file_bytes:
            raise ZipRefused("too_large", name)
        total += info.file_size
        if total > max_total_bytes:
            raise ZipRefused("bomb", name)
        if name in members:
            raise ZipRefused("duplicate", name)
        members[name] = info
    return members


def read_member(stream: IO[bytes], info: zipfile.ZipInfo) -> bytes:
    """One member's bytes: never more than its declared (and checked) size."""
    try:
        with zipfile.ZipFile(stream) as archive, archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as error:  # encrypted members too
        raise ZipRefused("damaged", clean_filename(info.filename)) from error
    if len(data) > info.file_size:
        raise ZipRefused("bomb", clean_filename(info.filename))
    return data
