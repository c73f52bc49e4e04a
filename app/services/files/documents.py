"""Metadata in documents: PDF, Office Open XML (docx, xlsx, pptx), OpenDocument (odt, ods,
odp), HWPX and RTF. What the reader sees — the pages, the text, the body parts of a ZIP
document — is not changed.

- PDF (pikepdf, i.e. qpdf): the document information (author, creator tool, dates), every
  XMP stream, application private data (PieceInfo) and the authors of comments are removed;
  JPEG photos inside lose their EXIF as in image_metadata. The file is written anew, so
  earlier revisions kept by incremental saves go, and its /ID is derived from the content.
  A PDF that needs a password to open, or is digitally signed, is kept as sent (None).
- ZIP documents are rebuilt entry by entry: the property parts (docProps core, app and custom;
  ODF meta.xml; HWPX's content.hpf metadata) are emptied, pictures and thumbnails inside lose
  their metadata, ODF's stored old versions and printer settings, Excel's saved folder path,
  Word's template path and the people list's account ids go; entry times, comments and extra
  fields (owner, times) and anything outside the archive are not copied.
- RTF: the {\\info} group (author, operator, company, dates) and user properties are removed.

Names written inside the body (tracked changes, comments) are part of the document and stay.
"""
from __future__ import annotations

import io
import re
import shutil
import zipfile
import zlib
from typing import TYPE_CHECKING

from app.services.files.filetypes import Unreadable, detect

if TYPE_CHECKING:
    import pikepdf
from app.services.files.image_metadata import STRIPPERS, strip_jpeg

MAX_UNPACKED = 512 * 1024 * 1024  # a ZIP that unpacks to more is refused, not unpacked


def _empty_element(xml: bytes, local: bytes) -> bytes:
    """The part with the first element named `local` (any prefix) left without content."""
    start = re.search(rb"<((?:[\w.-]+:)?" + local + rb")(?=[\s/>])[^>]*>", xml)
    if start is None or start.group(0).endswith(b"/>"):
        return xml
    end = xml.rfind(b"</" + start.group(1))
    if end < start.end():
        raise Unreadable("unbalanced XML")
    return xml[: start.end()] + xml[end:]


def _empty_texts(xml: bytes, local: bytes) -> bytes:
    """Every element named `local` (any prefix) without its text; its attributes stay."""
    pattern = rb"(<((?:[\w.-]+:)?" + local + rb")(?=[\s>])[^>]*(?<!/)>)[^<]*(</\2>)"
    return re.sub(pattern, rb"\1\3", xml)


def _without_elements(xml: bytes, local: bytes) -> bytes:
    """Every empty element named `local` (any prefix) removed."""
    return re.sub(rb"<(?:[\w.-]+:)?" + local + rb"(?=[\s/])[^>]*/>", b"", xml)


def _ooxml_part(name: str, content: bytes) -> bytes:
    if name == "docProps/core.xml":
        return _empty_element(content, b"coreProperties")
    if name in ("docProps/app.xml", "docProps/custom.xml"):
        return _empty_element(content, b"Properties")
    if name == "xl/workbook.xml":
        return _without_elements(content, b"absPath")  # the folder it was saved in: C:\Users\<name>\…
    if name.endswith("people.xml"):
        return _without_elements(content, b"presenceInfo")  # account ids (e-mail addresses) of authors
    if name.endswith(".rels"):
        return re.sub(rb"<Relationship\b[^>]*>", _template_file_name, content)
    return content


def _template_file_name(relationship: re.Match[bytes]) -> bytes:
    """A template's path names the user (C:\\Users\\<name>\\…\\Normal.dotm): keep its file name."""
    element = relationship.group(0)
    if b"/attachedTemplate\"" not in element:
        return element
    return re.sub(rb'(\bTarget=")[^"]*[/\\]([^"/\\]*")', rb"\1\2", element)


def _odf_part(name: str, content: bytes) -> bytes:
    if name == "meta.xml":
        return _empty_element(content, b"meta")
    if name == "settings.xml":
        return re.sub(rb'(<config:config-item[^>]*config:name="Printer(?:Name|Setup)"[^>]*>)[^<]*', rb"\1", content)
    if name == "META-INF/manifest.xml":
        return re.sub(rb'<manifest:file-entry[^>]*manifest:full-path="(?:Versions/|VersionList\.xml)[^"]*"[^>]*/>',
                      b"", content)
    return content


def _hwpx_part(name: str, content: bytes) -> bytes:
    if name.endswith(".hpf"):  # the package file: its metadata (creator, last saved by, dates, title)
        return _empty_texts(_empty_texts(content, b"meta"), b"title")
    return content


def _dropped(name: str, extension: str) -> bool:
    """ODF's stored old versions of the document (File › Versions): whole earlier texts."""
    return extension in ("odt", "ods", "odp") and (name == "VersionList.xml" or name.startswith("Versions/"))


PARTS = {"docx": _ooxml_part, "xlsx": _ooxml_part, "pptx": _ooxml_part,
         "odt": _odf_part, "ods": _odf_part, "odp": _odf_part, "hwpx": _hwpx_part}
TEXT_PARTS = (".xml", ".rels", ".hpf")


def _clean_embedded(content: bytes, depth: int) -> bytes:
    """A picture inside a document loses its metadata; a document inside one (a workbook in a
    Word file) is cleaned like the outer one."""
    found = detect(content) if content.startswith(b"PK") else detect(content[:64])
    if found is None:
        return content
    if found.media_type in STRIPPERS:
        return STRIPPERS[found.media_type](content)
    if found.extension in PARTS and depth < 2:
        return clean_zip(content, depth + 1) or content
    return content


SIGNATURES = re.compile(r"^(?:_xmlsignatures/|META-INF/(?:document)?signatures[^/]*\.xml$)", re.IGNORECASE)


def clean_zip(data: bytes, depth: int = 0) -> bytes | None:
    """A ZIP document (Office Open XML, OpenDocument, HWPX): see the module's description.
    None for a digitally signed document, kept as sent like a signed PDF."""
    file_type = detect(data)
    if file_type is None or file_type.extension not in PARTS:
        raise Unreadable("not a ZIP document")
    clean_part = PARTS[file_type.extension]
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            entries = source.infolist()
            if any(SIGNATURES.match(entry.filename) for entry in entries):
                return None
            if len({entry.filename for entry in entries}) != len(entries):
                raise Unreadable("ZIP with repeated names")
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED or any(e.flag_bits & 0x1 for e in entries):
                raise Unreadable("encrypted ZIP, or too large to unpack")
            for entry in entries:
                if _dropped(entry.filename, file_type.extension):
                    continue
                copy = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
                stored = entry.compress_type == zipfile.ZIP_STORED
                copy.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                copy.external_attr = (0o755 << 16) | 0x10 if entry.is_dir() else 0o644 << 16
                if entry.filename.endswith(TEXT_PARTS):
                    target.writestr(copy, clean_part(entry.filename, source.read(entry)))
                elif entry.file_size <= 32 * 1024 * 1024:
                    target.writestr(copy, _clean_embedded(source.read(entry), depth))
                else:  # a large embedded video or sound: copied as it is, without holding it whole
                    with source.open(entry) as reader, target.open(copy, "w") as writer:
                        shutil.copyfileobj(reader, writer, 1024 * 1024)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, NotImplementedError,
            KeyError) as exc:
        raise Unreadable(str(exc)) from exc
    return out.getvalue()


def _signed(pdf: pikepdf.Pdf) -> bool:
    """Whether the PDF carries a digital signature or document time stamp (a dictionary with
    the signed byte range): rewriting the file would break it."""
    import pikepdf

    return any(isinstance(obj, pikepdf.Dictionary) and "/ByteRange" in obj and "/Contents" in obj
               for obj in pdf.objects)


def clean_pdf(data: bytes) -> bytes | None:
    """A PDF: see the module's description. None when it needs a password, or is digitally
    signed (a rewrite would make the signature fail, and the signer's certificate names them
    anyway): such a file is kept as sent."""
    import pikepdf  # loaded by the first PDF a worker cleans, not by every worker at start

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return None
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise Unreadable(str(exc)) from exc
    with pdf:
        if _signed(pdf):
            return None
        try:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in ("/Metadata", "/PieceInfo", "/LastModified"):
                    if key in obj:
                        del obj[key]
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" \
                        and obj.get("/Filter") == "/DCTDecode":
                    obj.write(strip_jpeg(obj.read_raw_bytes()), filter=pikepdf.Name.DCTDecode)
            for page in pdf.pages:
                for annotation in page.obj.get("/Annots", []):
                    if annotation.get("/Subtype") == "/Widget":
                        continue  # a form field's /T is its name, not an author
                    for key in ("/T", "/M", "/CreationDate"):
                        if key in annotation:
                            del annotation[key]
            out = io.BytesIO()
            if pdf.is_encrypted:  # only an owner password: streams are decrypted and encrypted again
                pdf.save(out, fix_metadata_version=False, encryption=True)  # its key depends on the /ID
            else:  # streams are copied as they are
                pdf.save(out, fix_metadata_version=False, compress_streams=False,
                         stream_decode_level=pikepdf.StreamDecodeLevel.none, deterministic_id=True)
        except (pikepdf.PdfError, ValueError) as exc:
            raise Unreadable(str(exc)) from exc
    return out.getvalue()


_CONTROL = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\.", re.DOTALL)
_SPECIAL = re.compile(rb"[\\{}]")
_DROPPED_GROUPS = re.compile(rb"\{[\r\n]*(?:\\info(?![a-zA-Z])|\\\*[\r\n]*\\userprops(?![a-zA-Z]))")


def _control_end(data: bytes, pos: int) -> int:
    """The position after the control word or symbol at pos (and after the raw bytes of \\binN)."""
    control = _CONTROL.match(data, pos)
    if control is None:
        raise Unreadable("bad RTF control")
    if control.group(1) == b"bin" and control.group(2):  # raw bytes that may hold braces
        return control.end() + int(control.group(2))
    return control.end()


def _group_end(data: bytes, start: int) -> int:
    """The position just after the group whose "{" is at start."""
    depth, pos = 0, start
    while (special := _SPECIAL.search(data, pos)) is not None:
        pos = special.start()
        if data[pos] == 0x5C:
            pos = _control_end(data, pos)
            continue
        depth += 1 if data[pos] == 0x7B else -1
        pos += 1
        if depth == 0:
            return pos
    raise Unreadable("unbalanced RTF group")


def clean_rtf(data: bytes) -> bytes:
    """RTF: see the module's description."""
    if not data.startswith(b"{\\rtf"):
        raise Unreadable("not RTF")
    document_end = _group_end(data, 0)
    out, pos = io.BytesIO(), 0
    while (special := _SPECIAL.search(data, pos, document_end)) is not None:
        out.write(data[pos : special.start()])
        pos = special.start()
        if data[pos] == 0x5C:
            end = _control_end(data, pos)
        elif data[pos] == 0x7B and _DROPPED_GROUPS.match(data, pos):
            pos = _group_end(data, pos)
            continue
        else:
            end = pos + 1
        out.write(data[pos:end])
        pos = end
    out.write(data[pos:document_end])
    return out.getvalue()  # whatever followed the document's closing brace is not copied
