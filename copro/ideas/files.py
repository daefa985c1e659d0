"""Checking files attached to ideas by what is in them, never by their name or the browser's say-so.

Accepted: PDF; JPEG, PNG and WebP pictures (re-encoded without their metadata, as map photos are); Word,
Excel and PowerPoint files (.docx, .xlsx, .pptx) and their OpenDocument equivalents (.odt, .ods, .odp).
Refused: anything else, including files with macros (.docm and the like) and the old binary Office
formats, which can carry them too.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
ACCEPT = ",".join(sorted({f".{k}" for k in CONTENT_TYPES} | {".jpeg"}))
_OOXML = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF = {CONTENT_TYPES[k]: k for k in ("odt", "ods", "odp")}
_ZIP_MEMBERS_MAX = 10_000  # a real document has tens or hundreds; more is not a document


def max_bytes() -> int:
    return int(settings.COPRO_IDEAS_ATTACHMENT_MAX_BYTES)


def _kind_of_zip(upload: Any) -> str | None:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if len(infos) > _ZIP_MEMBERS_MAX:
                return None
            names = {info.filename for info in infos}
            if any(name.lower().endswith("vbaproject.bin") or name.startswith("Basic/") for name in names):
                return None  # macros
            if "[Content_Types].xml" in names:
                for member, kind in _OOXML.items():
                    if member in names:
                        return kind
                return None
            mimetype = archive.getinfo("mimetype") if "mimetype" in names else None
            if mimetype is not None and mimetype.file_size < 100:
                return _ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return None
    return None


def safe_name(name: str) -> str:
    """The file's name as people will see it: no folders, no control characters, at most 200 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>]", "", name).strip() or "file"
    return name[-200:]


def check(upload: Any) -> tuple[str, File[Any]]:
    """(kind, the file to store) for an accepted upload; a ValidationError on the "file" field otherwise."""
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is None or size > limit:
        raise ValidationError(
            {"file": _("The file is too large: the limit is %(mb)d MB.") % {"mb": limit // 1_000_000}}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf", ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.pdf")
    if head.startswith(b"PK\x03\x04"):
        kind = _kind_of_zip(upload)
        if kind is None:
            raise ValidationError(
                {"file": _("This file could not be accepted. Office files with macros are refused; save it as a PDF.")}
            )
        upload.seek(0)
        return kind, ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.{kind}")
    # A picture: opened, turned the right way up and saved afresh without its metadata.
    from copro.core.photos import PHOTO_MAX_BYTES, photo_clean

    if size > PHOTO_MAX_BYTES:
        raise ValidationError({"file": _("A picture can be at most 5 MB.")})
    try:
        cleaned = photo_clean(upload)
    except ValidationError:
        raise ValidationError(
            {
                "file": _(
                    "This kind of file is not accepted. Send a PDF, a picture (JPEG, PNG or WebP), or a Word, Excel, "
                    "PowerPoint or OpenDocument file."
                )
            }
        ) from None
    kind = (cleaned.name or "").rsplit(".", 1)[-1]
    return kind, cleaned
