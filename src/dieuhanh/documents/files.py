"""Text of an uploaded document: PDF with a text layer (pypdf), DOCX (python-docx) or plain text (any of the
Vietnamese legacy encodings the ingest readers know). Types are told by content, not by name; limits are checked
before anything is parsed."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from dieuhanh.core.errors import FieldError, InvalidInput, TooLarge

ALLOWED_SUFFIXES = (".pdf", ".docx", ".txt", ".text")
# A scanned PDF has no (or almost no) text layer: below this many letters the document is a scan.
MIN_TEXT_LETTERS = 40
MAX_PDF_PAGES = 300
MAX_DOCX_UNPACKED = 200 * 1024 * 1024


@dataclass
class Upload:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ReadFile:
    text: str
    kind: str  # pdf | scan | docx | text
    content_type: str


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldError(message, field="file")])


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def read_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _refuse("Tệp PDF có mật khẩu: hãy gửi bản không đặt mật khẩu.")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise _refuse(f"Tệp PDF có {len(pages)} trang, quá giới hạn {MAX_PDF_PAGES} trang.")
        return "\n".join((page.extract_text() or "") for page in pages)
    except InvalidInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise _refuse(f"Không đọc được tệp PDF (tệp hỏng hoặc không đúng định dạng): {str(exc)[:200]}") from None


def read_docx(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "word/document.xml" not in names:
                raise _refuse("Tệp nén không phải văn bản Word (DOCX). Chỉ nhận PDF, DOCX hoặc tệp văn bản.")
            if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNPACKED:
                raise _refuse("Tệp DOCX giải nén quá lớn (có thể là tệp độc hại).")
    except zipfile.BadZipFile:
        raise _refuse("Tệp DOCX bị hỏng (không giải nén được).") from None
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise _refuse(f"Không đọc được tệp DOCX: {str(exc)[:200]}") from None
    lines: list[str] = []
    # The header of NĐ 30 is usually a two-column table: its rows become tab-separated lines, as a PDF gives them.
    for table in document.tables[:1]:
        for row in table.rows:
            cells = [cell.text.split("\n") for cell in row.cells]
            for i in range(max(len(c) for c in cells)):
                lines.append("\t\t".join(c[i] if i < len(c) else "" for c in cells).rstrip())
    lines.extend(p.text for p in document.paragraphs)
    for table in document.tables[1:]:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def read_text(data: bytes) -> str:
    from dieuhanh.ingest.encodings import detect_and_decode

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse("Tệp không phải PDF, DOCX hay văn bản thuần (có dữ liệu nhị phân).")
    text, _encoding = detect_and_decode(data)
    return text


def read_upload(upload: Upload, *, max_bytes: int) -> ReadFile:
    """The text of an upload, or a clear error: too large, wrong type, damaged, password-protected."""
    if len(upload.data) > max_bytes:
        raise TooLarge(f"Tệp «{upload.filename}» lớn {len(upload.data) / 1048576:.1f} MB, quá giới hạn "
                       f"{max_bytes / 1048576:.0f} MB.", errors=[FieldError("Tệp quá lớn", field="file")])
    if not upload.data:
        raise _refuse(f"Tệp «{upload.filename}» rỗng.")
    name = (upload.filename or "").lower()
    head = upload.data[:8]
    if head.startswith(b"%PDF-"):
        text = read_pdf(upload.data)
        kind = "pdf" if _letters(text) >= MIN_TEXT_LETTERS else "scan"
        return ReadFile(text if kind == "pdf" else "", kind, "application/pdf")
    if head.startswith(b"PK\x03\x04"):
        return ReadFile(read_docx(upload.data), "docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse("Tệp Word cũ (.doc, Word 97–2003) chưa được hỗ trợ: hãy lưu thành DOCX hoặc PDF rồi gửi lại.")
    if name.endswith((".pdf", ".docx")):
        raise _refuse(f"Tệp «{upload.filename}» có đuôi {name.rsplit('.', 1)[-1].upper()} nhưng nội dung không "
                      "phải định dạng đó (tệp hỏng?).")
    if name and "." in name and not name.endswith(ALLOWED_SUFFIXES):
        raise _refuse(f"Không nhận tệp «{upload.filename}»: chỉ nhận PDF, DOCX hoặc tệp văn bản (.txt).")
    return ReadFile(read_text(upload.data), "text", "text/plain; charset=utf-8")
