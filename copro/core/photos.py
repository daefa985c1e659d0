"""Photos people upload (map pins, idea attachments, live feed entries): checked by opening them, and saved
afresh without metadata."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # 5 MB: a phone photo fits; a raw camera file does not
PHOTO_MAX_PIXELS = 40_000_000  # 40 megapixels: decoding more would take too much memory on a small machine
# What Pillow finds in the file -> the extension it is saved with. "MPO" is a JPEG followed by more pictures
# (a depth map, a second lens), as many phones now save: its first picture is kept, as a plain JPEG.
PHOTO_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
SAVED_AS = {"MPO": "JPEG"}


def photo_clean(upload: Any) -> ContentFile:
    """Check an uploaded photo by opening it, and re-encode it without its metadata.

    The type is what Pillow finds in the file, never its name or the browser's say-so. The image is turned
    the right way up first (phones record the rotation in EXIF), then saved afresh with no EXIF, GPS or
    other metadata, so a photo never gives away where or when it was taken, or with what.
    """
    size = getattr(upload, "size", None)
    if size is None or size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("The photo is too large: the limit is 5 MB.")})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            if kind not in PHOTO_FORMATS:
                raise ValidationError({"photo": _("The photo must be a JPEG, PNG or WebP image.")})
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError({"photo": _("The photo is too large: the limit is 40 megapixels.")})
            image.load()  # the first picture only, for an MPO
            upright = ImageOps.exif_transpose(image)
            saved_as = SAVED_AS.get(kind, kind)
            if saved_as == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            out = io.BytesIO()
            options: dict[str, Any] = {"quality": 85} if saved_as in ("JPEG", "WEBP") else {"optimize": True}
            # No exif=, icc_profile=, pnginfo= or save_all= arguments: nothing of the original's metadata, and
            # no second picture, is written.
            upright.save(out, format=saved_as, **options)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise ValidationError(
            {"photo": _("The photo could not be read. It must be a JPEG, PNG or WebP image.")}
        ) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{PHOTO_FORMATS[kind]}")
