"""A small real file of every accepted type, each carrying identifying metadata with a
recognizable marker (an author's name, a phone, a place), and a check that the file still
opens as its type. Unit tests run them through prepare(); functional tests through the form.

Each Sample lists the markers that must be gone once the file is cleaned (and are all there
when the submitter chose to keep the metadata), and `opens`, which raises unless the bytes
are still a working file of the type — for ZIP documents, with their body part unchanged.
"""
from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf
import pillow_heif
from PIL import Image
from PIL.PngImagePlugin import PngInfo

AUTHOR = "김철수 KIMCHEOLSU"
PHONE = "MarkerPhone"
PLACE = "HYESAN-41.40N-128.18E"
APPENDED = b"APPENDED-SECRET"
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
    f"<dc:creator><rdf:Seq><rdf:li>{AUTHOR}</rdf:li></rdf:Seq></dc:creator>"
    f"<xmp:CreatorTool>{PHONE}</xmp:CreatorTool><xmp:Label>{PLACE}</xmp:Label>"
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode()

pillow_heif.register_heif_opener()


def unzipped(data: bytes) -> bytes:
    """The bytes and, for a ZIP, every entry unpacked (and ZIPs inside unpacked too): where a
    marker can hide in a compressed document."""
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return data + b"".join(unzipped(archive.read(name)) for name in archive.namelist())


@dataclass
class Sample:
    name: str
    data: bytes
    media_type: str
    markers: list[bytes]
    opens: Callable[[bytes], None]

    def found(self, data: bytes) -> list[bytes]:
        """The markers present in `data`, looking inside ZIP entries."""
        searchable = unzipped(data)
        return [marker for marker in self.markers if marker in searchable]


def exif(orientation: int | None = None) -> Image.Exif:
    """EXIF with the phone's make, a GPS position and a place written in the GPS area field."""
    tags = Image.Exif()
    tags[0x010F] = PHONE  # Make
    tags[0x0132] = "2019:03:21 10:00:00"  # DateTime
    if orientation:
        tags[0x0112] = orientation
    gps = tags.get_ifd(0x8825)
    gps[1], gps[2] = "N", (41.0, 24.0, 0.0)
    gps[3], gps[4] = "E", (128.0, 10.0, 0.0)
    gps[0x1C] = b"ASCII\x00\x00\x00" + PLACE.encode()  # GPSAreaInformation
    return tags


def _image_opens(fmt: str, orientation: int | None = None) -> Callable[[bytes], None]:
    """Pillow opens and decodes the cleaned picture; no EXIF but the orientation is left."""
    def opens(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == fmt, image.format
            image.load()
            assert image.size == (32, 24)
            tags = image.getexif()
            assert not tags.get_ifd(0x8825) and 0x010F not in tags
            assert tags.get(0x0112) == orientation or fmt in ("HEIF", "AVIF")  # there: irot, not EXIF
    return opens


def _picture(fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg() -> bytes:
    """EXIF (GPS, phone, orientation), XMP, a comment, a JFIF thumbnail, a ZIP after the end."""
    data = _picture("JPEG", exif=exif(orientation=6), comment=f"{AUTHOR}".encode())
    xmp_segment = b"\xff\xe1" + struct.pack(">H", len(XMP) + 31) + b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    thumbnail = bytes([3, 3]) + bytes(27)  # a 3×3 RGB thumbnail
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01" + thumbnail
    jfif_segment = b"\xff\xe0" + struct.pack(">H", len(jfif) + 2) + jfif
    length = struct.unpack(">H", data[4:6])[0]
    data = data[:2] + jfif_segment + xmp_segment + data[4 + length :]
    return data + zip_with(APPENDED)


def zip_with(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hidden.txt", content)
    return buffer.getvalue()


def png() -> bytes:
    info = PngInfo()
    info.add_text("Author", AUTHOR.encode("utf-8").decode("latin-1"))
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = _picture("PNG", pnginfo=info, exif=exif())
    icc = b"iCCP" + PHONE.encode() + b"\x00\x00" + zlib.compress(b"profile of " + PHONE.encode())
    chunk = struct.pack(">I", len(icc) - 4) + icc + struct.pack(">I", zlib.crc32(icc))
    return data[:33] + chunk + data[33:] + APPENDED


def gif() -> bytes:
    data = _picture("GIF", comment=AUTHOR.encode())
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"".join(bytes([len(part)]) + part for part in _blocks(XMP)) + b"\x00"
    return data[:-1] + xmp + b"\x3b" + APPENDED


def _blocks(data: bytes) -> list[bytes]:
    return [data[i : i + 255] for i in range(0, len(data), 255)]


def webp() -> bytes:
    return _picture("WEBP", exif=exif(orientation=6), xmp=XMP, lossless=True) + APPENDED


def heif(fmt: str) -> bytes:
    return _picture(fmt, exif=exif(), xmp=XMP)


def _pdf_opens(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert pdf.pages[0].Contents.read_bytes() == PDF_PAGE
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        annotation = pdf.pages[0].Annots[0]
        assert annotation.Contents == "memo" and "/T" not in annotation  # the comment stays, its author goes
        photo = pdf.pages[0].Resources.XObject.Im1.read_raw_bytes()
        with Image.open(io.BytesIO(photo)) as image:
            assert image.size == (32, 24) and not image.getexif()


PDF_PAGE = b"BT /F1 12 Tf 20 100 Td (Hello) Tj ET"


def pdf() -> bytes:
    """Document info and XMP, a comment's author, a photo with EXIF, and an older author kept
    by an incremental save."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(200, 200))
    page = document.pages[0]
    page.Contents = document.make_stream(PDF_PAGE)
    document.docinfo["/Author"] = "OLD-" + AUTHOR
    document.Root.Metadata = document.make_stream(XMP, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    photo = _picture("JPEG", exif=exif())
    image = document.make_stream(photo, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=32,
                                 Height=24, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                                 Filter=pikepdf.Name.DCTDecode)
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image))
    page.Annots = document.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 30, 30], Contents="memo",
        T=AUTHOR)]))
    buffer = io.BytesIO()
    document.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    first = buffer.getvalue()
    # An incremental update: a new document information dictionary replaces the old one,
    # which stays in the file (as every "save" of some editors leaves it).
    with pikepdf.open(io.BytesIO(first)) as reopened:
        info_number = reopened.trailer.Info.objgen[0]
        root_number, size = reopened.Root.objgen[0], len(reopened.objects) + 1
        start_xref = int(first.rsplit(b"startxref", 1)[1].split()[0])
    offset = len(first)
    update = f"{info_number} 0 obj\n<< /Author ({PHONE}) >>\nendobj\n".encode()
    xref_at = offset + len(update)
    update += f"xref\n{info_number} 1\n{offset:010d} 00000 n \n".encode()
    update += (f"trailer\n<< /Size {size} /Root {root_number} 0 R /Info {info_number} 0 R "
               f"/Prev {start_xref} >>\n").encode()
    update += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return first + update


OOXML_KINDS = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("ppt/slides/slide1.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
OOXML_BODY = b'<?xml version="1.0"?><body><p>Hello</p></body>'
WORKBOOK = (b'<?xml version="1.0"?><workbook xmlns:mc="x" xmlns:x15ac="y"><mc:AlternateContent><mc:Choice>'
            b'<x15ac:absPath url="C:\\Users\\KIMCHEOLSU\\Desktop\\"/></mc:Choice></mc:AlternateContent></workbook>')
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
    f"<dc:creator>{AUTHOR}</dc:creator><cp:lastModifiedBy>{AUTHOR}</cp:lastModifiedBy>"
    f"<cp:revision>17</cp:revision><dc:title>{PLACE}</dc:title></cp:coreProperties>"
)
APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    f"<Company>{PHONE} Company</Company><Manager>{AUTHOR}</Manager><TotalTime>42</TotalTime></Properties>"
)
CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Source">'
    f"<vt:lpwstr>{PLACE}</vt:lpwstr></property></Properties>"
)


def _zip(parts: list[tuple[str, bytes]], comment: bytes = b"", stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(parts):
            info = zipfile.ZipInfo(name, date_time=(2019, 3, 21, 10, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            info.comment = AUTHOR.encode()
            archive.writestr(info, content)
        archive.comment = comment
    return buffer.getvalue()


def _zip_opens(main: str, body: bytes, media_type: str) -> Callable[[bytes], None]:
    from app.services.files.filetypes import detect

    def opens(data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert archive.read(main) == body  # the document itself is unchanged
            assert archive.comment == b""
        assert detect(data).media_type == media_type
    return opens


def ooxml(kind: str) -> Sample:
    """Core, app and custom properties, a photo with EXIF, a ZIP comment and entry comments;
    a Word file also its template's path, its authors' account ids and an embedded workbook
    (with the folder it was saved in)."""
    main, media_type = OOXML_KINDS[kind]
    parts = [
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", b"<Relationships/>"),
        (main, OOXML_BODY),
        ("docProps/core.xml", CORE.encode()),
        ("docProps/app.xml", APP.encode()),
        ("docProps/custom.xml", CUSTOM.encode()),
        (f"{main.split('/')[0]}/media/image1.jpeg", _picture("JPEG", exif=exif())),
    ]
    if kind == "xlsx":
        parts.append(("xl/workbook.xml", WORKBOOK))
    if kind == "docx":
        parts.append(("word/_rels/settings.xml.rels", (
            b'<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/attachedTemplate" Target="file:///C:\\Users\\KIMCHEOLSU\\Templates\\Normal.dotm" '
            b'TargetMode="External"/></Relationships>')))
        parts.append(("word/people.xml", b'<w15:people xmlns:w15="x"><w15:person w15:author="A">'
                      b'<w15:presenceInfo w15:providerId="AD" w15:userId="KIMCHEOLSU@example.org"/>'
                      b"</w15:person></w15:people>"))
        parts.append(("word/embeddings/Sheet1.xlsx", ooxml("xlsx").data))
    markers = [AUTHOR.encode(), PHONE.encode(), PLACE.encode(), b"KIMCHEOLSU"]
    return Sample(f"문서.{kind}", _zip(parts, comment=PHONE.encode()), media_type, markers,
                  _zip_opens(main, OOXML_BODY, media_type))


ODF_TYPES = {"odt": "application/vnd.oasis.opendocument.text",
             "ods": "application/vnd.oasis.opendocument.spreadsheet",
             "odp": "application/vnd.oasis.opendocument.presentation"}


def odf(kind: str) -> bytes:
    """meta.xml (creator, editing cycles, generator, a user-defined field), the printer's name,
    a photo with EXIF, and an old version of the text stored inside (File › Versions)."""
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'office:version="1.3"><office:meta><meta:initial-creator>{AUTHOR}</meta:initial-creator>'
        f"<dc:creator>{AUTHOR}</dc:creator><meta:editing-cycles>12</meta:editing-cycles>"
        f"<meta:generator>{PHONE}</meta:generator><meta:user-defined meta:name=\"Place\">{PLACE}"
        "</meta:user-defined></office:meta></office:document-meta>"
    )
    settings = (
        '<office:document-settings xmlns:config="c"><config:config-item config:name="PrinterName" '
        f'config:type="string">{PHONE} printer</config:config-item></office:document-settings>'
    )
    manifest = (
        '<manifest:manifest xmlns:manifest="m"><manifest:file-entry manifest:full-path="/" '
        f'manifest:media-type="{ODF_TYPES[kind]}"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry '
        'manifest:full-path="Versions/Version1" manifest:media-type=""/></manifest:manifest>'
    )
    return _zip([
        ("mimetype", ODF_TYPES[kind].encode()),
        ("content.xml", ODT_BODY),
        ("meta.xml", meta.encode()),
        ("settings.xml", settings.encode()),
        ("META-INF/manifest.xml", manifest.encode()),
        ("Pictures/photo.jpg", _picture("JPEG", exif=exif())),
        ("VersionList.xml", f"<VL:version-entry dc:creator=\"{AUTHOR}\"/>".encode()),
        ("Versions/Version1", f"an earlier text naming {PLACE}".encode()),
    ], stored_first=True)


ODT_BODY = b'<?xml version="1.0"?><office:document-content><office:body>Hello</office:body></office:document-content>'
HWPX_BODY = b'<?xml version="1.0"?><hs:sec xmlns:hs="x"><hp:p>Hello</hp:p></hs:sec>'


def hwpx() -> bytes:
    package = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?><opf:package xmlns:opf="http://www.idpf.org/2007/opf/"'
        f' version="" unique-identifier="" id=""><opf:metadata><opf:title>{PLACE}</opf:title>'
        "<opf:language>ko</opf:language>"
        f'<opf:meta name="creator" content="text">{AUTHOR}</opf:meta>'
        f'<opf:meta name="lastsaveby" content="text">{AUTHOR}</opf:meta>'
        '<opf:meta name="CreatedDate" content="text">2019-03-21T01:00:00Z</opf:meta>'
        '<opf:meta name="keyword" content="text"/></opf:metadata><opf:manifest><opf:item id="section0" '
        'href="Contents/section0.xml" media-type="application/xml"/></opf:manifest><opf:spine>'
        '<opf:itemref idref="section0" linear="yes"/></opf:spine></opf:package>'
    )
    return _zip([
        ("mimetype", b"application/hwp+zip"),
        ("version.xml", b'<hv:HCFVersion xmlns:hv="x"/>'),
        ("Contents/content.hpf", package.encode()),
        ("Contents/section0.xml", HWPX_BODY),
        ("BinData/image1.jpg", _picture("JPEG", exif=exif())),
        ("Preview/PrvImage.png", png()[: -len(APPENDED)]),
    ], stored_first=True)


def _hwpx_opens(data: bytes) -> None:
    _zip_opens("Contents/section0.xml", HWPX_BODY, "application/hwp+zip")(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        package = archive.read("Contents/content.hpf")
        assert b'<opf:meta name="creator" content="text"></opf:meta>' in package
        assert b'<opf:itemref idref="section0" linear="yes"/>' in package


RTF_BODY = rb"\pard Hello \{braces\} \bin3 {}} after\par"


def rtf() -> bytes:
    info = (r"{\info{\title " + PLACE + r"}{\author KIMCHEOLSU}{\operator KIMCHEOLSU}{\*\company " + PHONE
            + r"}{\creatim\yr2019\mo3\dy21}}")
    return (r"{\rtf1\ansi\deff0{\fonttbl{\f0 Batang;}}" + info + r"{\*\userprops{\propname Place}\proptype30"
            + r"{\staticval " + PLACE + "}}").encode() + RTF_BODY + b"}" + APPENDED


def _rtf_opens(data: bytes) -> None:
    assert data.startswith(rb"{\rtf1\ansi\deff0{\fonttbl{\f0 Batang;}}")
    assert data.endswith(RTF_BODY + b"}")


def _id3_frame(kind: bytes, text: str) -> bytes:
    payload = b"\x03" + text.encode()
    return kind + struct.pack(">I", len(payload)) + b"\x00\x00" + payload


MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes


def mp3() -> bytes:
    frames = _id3_frame(b"TPE1", AUTHOR) + _id3_frame(b"TSSE", PHONE)
    size = len(frames)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    id3v1 = b"TAG" + PLACE.encode().ljust(30, b"\x00") + b"KIMCHEOLSU".ljust(30, b"\x00") + bytes(65)
    return b"ID3\x04\x00\x00" + syncsafe + frames + MP3_FRAME * 6 + id3v1


def _mp3_opens(data: bytes) -> None:
    from mutagen.mp3 import MP3

    audio = MP3(io.BytesIO(data))
    assert audio.info.bitrate == 128000 and not audio.tags
    assert data == MP3_FRAME * 6


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(WAV_FRAMES)
    data = buffer.getvalue()
    info = b"INFO" + _riff_chunk(b"IART", AUTHOR.encode() + b"\x00") + _riff_chunk(b"ISFT", PHONE.encode() + b"\x00")
    bext = _riff_chunk(b"bext", PLACE.encode().ljust(256, b"\x00"))
    body = data[12:] + _riff_chunk(b"LIST", info) + bext
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body + APPENDED


WAV_FRAMES = bytes(range(256)) * 8


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


def _wav_opens(data: bytes) -> None:
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.readframes(reader.getnframes()) == WAV_FRAMES


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, sequence: int, granule: int, flags: int) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    header = b"OggS\x00" + bytes([flags]) + struct.pack("<qII", granule, 0x4D4B, sequence) + b"\x00\x00\x00\x00"
    page = header + bytes([len(lacing)]) + lacing + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


OPUS_PACKET = b"\xf8\xff\xfe"  # a 20 ms silent Opus frame


def ogg() -> bytes:
    head = b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    comments = [f"ARTIST={AUTHOR}".encode(), f"LOCATION={PLACE}".encode(), f"ENCODER={PHONE}".encode()]
    tags = b"OpusTags" + struct.pack("<I", 6) + b"moksor" + struct.pack("<I", len(comments))
    tags += b"".join(struct.pack("<I", len(c)) + c for c in comments)
    return (_ogg_page(head, 0, 0, 2) + _ogg_page(tags, 1, 0, 0)
            + _ogg_page(OPUS_PACKET, 2, 960 + 312, 4))


def _ogg_opens(data: bytes) -> None:
    from mutagen.oggopus import OggOpus

    audio = OggOpus(io.BytesIO(data))
    assert audio.info.channels == 1 and not audio.tags.keys()
    assert data.endswith(OPUS_PACKET)


def _box(kind: bytes, *children: bytes) -> bytes:
    payload = b"".join(children)
    return struct.pack(">I", len(payload) + 8) + kind + payload


def _full(kind: bytes, payload: bytes, version: int = 0) -> bytes:
    return _box(kind, bytes([version, 0, 0, 0]) + payload)


MEDIA_SAMPLE = b"VIDEO-FRAME-" * 8  # stands in for the coded pictures in mdat
GPS_SAMPLE = f"GPMF GPS5 {PLACE}".encode()


def movie(brand: bytes, media_type: str, name: str) -> Sample:
    """An MP4-family file: the phone's place in moov/udta (©xyz) and moov/meta (Apple's keys),
    a track name, XMP, creation times and a timed GPS track whose samples live in mdat."""
    when = struct.pack(">II", 3_600_000_000, 3_600_000_001)  # 2018

    def track(handler: bytes, offset: int, sample: bytes) -> bytes:
        stbl = _box(b"stbl", _full(b"stsd", struct.pack(">I", 0)), _full(b"stts", struct.pack(">I", 0)),
                    _full(b"stsc", struct.pack(">IIII", 1, 1, 1, 1)),
                    _full(b"stsz", struct.pack(">II", len(sample), 1)),
                    _full(b"stco", struct.pack(">II", 1, offset)))
        return _box(b"trak", _full(b"tkhd", when + bytes(72)),
                    _box(b"mdia", _full(b"mdhd", when + bytes(12)), _full(b"hdlr", bytes(4) + handler + bytes(13)),
                         _box(b"minf", stbl)),
                    _box(b"udta", _box(b"name", AUTHOR.encode())))

    xyz = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", 22, 0) + b"+41.4000+128.1800/" + PLACE.encode()))
    keys = _box(b"meta", _full(b"hdlr", bytes(4) + b"mdta" + bytes(13)),
                _full(b"keys", struct.pack(">I", 1) + _box(b"mdta", b"com.apple.quicktime.make")),
                _box(b"ilst", _box(b"\x00\x00\x00\x01", _box(b"data", bytes(8) + PHONE.encode()))))
    xmp = _box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + XMP)
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"isom")

    def build(offsets: tuple[int, int]) -> bytes:
        moov = _box(b"moov", _full(b"mvhd", when + bytes(88)), track(b"vide", offsets[0], MEDIA_SAMPLE),
                    track(b"meta", offsets[1], GPS_SAMPLE), xyz, keys)
        return ftyp + moov + xmp

    head = build((0, 0))
    start = len(head) + 8
    data = build((start, start + len(MEDIA_SAMPLE))) + _box(b"mdat", MEDIA_SAMPLE + GPS_SAMPLE) + APPENDED

    def opens(cleaned: bytes) -> None:
        from app.services.files.isobmff import top_level

        found, end = top_level(cleaned)
        assert [box.kind for box in found] == [b"ftyp", b"moov", b"free", b"mdat"] and end == len(cleaned)
        assert cleaned[start : start + len(MEDIA_SAMPLE)] == MEDIA_SAMPLE  # the pictures are where they were
        assert len(cleaned) == len(data) - len(APPENDED)
        assert when not in cleaned

    return Sample(name, data, media_type, [AUTHOR.encode(), PHONE.encode(), PLACE.encode(), b"+41.4000"], opens)


def ole(kind: str) -> bytes:
    """An OLE2 container as old Office and HWP files are: kept as sent."""
    stream = {"doc": "WordDocument", "xls": "Workbook", "ppt": "PowerPoint Document"}.get(kind)
    name = stream.encode("utf-16-le") if stream else b"HWP Document File"
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100) + name + b"\x00" * 20 + AUTHOR.encode()


def samples() -> list[Sample]:
    """Every accepted type that carries metadata the portal removes."""
    return [
        Sample("사진.jpg", jpeg(), "image/jpeg", [PHONE.encode(), PLACE.encode(), AUTHOR.encode(), APPENDED,
                                                  bytes([3, 3]) + bytes(27)], _image_opens("JPEG", orientation=6)),
        Sample("화면.png", png(), "image/png", [PHONE.encode(), PLACE.encode(), APPENDED, b"Author", b"iCCP"],
               _image_opens("PNG")),
        Sample("움직이는.gif", gif(), "image/gif", [AUTHOR.encode(), PHONE.encode(), APPENDED], _image_opens("GIF")),
        Sample("사진.webp", webp(), "image/webp", [PHONE.encode(), PLACE.encode(), AUTHOR.encode(), APPENDED],
               _image_opens("WEBP", orientation=6)),
        Sample("아이폰.heic", heif("HEIF"), "image/heic", [PHONE.encode(), PLACE.encode(), AUTHOR.encode()],
               _image_opens("HEIF")),
        Sample("사진.avif", heif("AVIF"), "image/avif", [PHONE.encode(), PLACE.encode(), AUTHOR.encode()],
               _image_opens("AVIF")),
        Sample("증언.pdf", pdf(), "application/pdf", [AUTHOR.encode(), PHONE.encode(), PLACE.encode()], _pdf_opens),
        ooxml("docx"),
        ooxml("xlsx"),
        ooxml("pptx"),
        *[Sample(f"문서.{kind}", odf(kind), media_type, [AUTHOR.encode(), PHONE.encode(), PLACE.encode()],
                 _zip_opens("content.xml", ODT_BODY, media_type)) for kind, media_type in ODF_TYPES.items()],
        Sample("문서.hwpx", hwpx(), "application/hwp+zip", [AUTHOR.encode(), PHONE.encode(), PLACE.encode()],
               _hwpx_opens),
        Sample("문서.rtf", rtf(), "application/rtf", [b"KIMCHEOLSU", PHONE.encode(), PLACE.encode(), APPENDED],
               _rtf_opens),
        Sample("녹음.mp3", mp3(), "audio/mpeg", [AUTHOR.encode(), PHONE.encode(), PLACE.encode(), b"KIMCHEOLSU"],
               _mp3_opens),
        Sample("녹음.wav", wav(), "audio/wav", [AUTHOR.encode(), PHONE.encode(), PLACE.encode(), APPENDED],
               _wav_opens),
        Sample("음성.ogg", ogg(), "audio/ogg", [AUTHOR.encode(), PHONE.encode(), PLACE.encode()], _ogg_opens),
        movie(b"M4A ", "audio/mp4", "녹음.m4a"),
        movie(b"isom", "video/mp4", "영상.mp4"),
        movie(b"qt  ", "video/quicktime", "영상.mov"),
        movie(b"3gp4", "video/3gpp", "영상.3gp"),
    ]


def kept_as_sent() -> list[Sample]:
    """Accepted types the portal cannot clean safely: stored as sent, and said so."""
    def unchanged(data: bytes) -> None:
        return None
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x7b\xa9\x8a" + b"KIMCHEOLSU" + bytes(16)
    return [
        Sample("옛문서.doc", ole("doc"), "application/msword", [AUTHOR.encode()], unchanged),
        Sample("옛표.xls", ole("xls"), "application/vnd.ms-excel", [AUTHOR.encode()], unchanged),
        Sample("옛발표.ppt", ole("ppt"), "application/vnd.ms-powerpoint", [AUTHOR.encode()], unchanged),
        Sample("한글.hwp", ole("hwp"), "application/x-hwp", [AUTHOR.encode()], unchanged),
        Sample("영상.webm", webm, "video/webm", [b"KIMCHEOLSU"], unchanged),
    ]
