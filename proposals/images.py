"""Uploaded images: checked with Pillow, re-encoded (which drops EXIF, GPS included), stored under random names."""
from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 5
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
MAX_SIDE = 2400  # larger pictures are scaled down: nobody needs more on a proposal page
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass
class StoredImage:
    filename: str
    content_type: str
    width: int
    height: int


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refuse(message) -> DomainError:
    return DomainError(message, field="images")


def read_image(data: bytes) -> tuple[Image.Image, str]:
    """Open and fully decode an upload, or raise a DomainError saying why it is refused."""
    if len(data) > MAX_BYTES:
        raise _refuse(_l("Each image must be at most 5 MB."))
    if not data:
        raise _refuse(_l("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in FORMATS:
                raise _refuse(_l("Only JPEG, PNG and WebP images are accepted."))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_l("This image has too many pixels."))
            image.load()  # decode everything now: a truncated or forged file fails here
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise _refuse(_l("This file is not an image we can read (JPEG, PNG or WebP)."))
    return image, fmt


def reencode(image: Image.Image, fmt: str) -> bytes:
    """A new file from the pixels only: no EXIF, no GPS, no comments, no ICC tricks."""
    image = ImageOps.exif_transpose(image)  # keep the intended orientation before losing the tag
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(mode).save(out, "PNG", optimize=True)
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(mode).save(out, "WEBP", quality=85)
    return out.getvalue()


def store(data: bytes) -> StoredImage:
    return write(*read_image(data))


def write(image: Image.Image, fmt: str) -> StoredImage:
    clean = reencode(image, fmt)
    content_type, ext = FORMATS[fmt]
    name = f"{secrets.token_urlsafe(18)}.{ext}"
    (upload_dir() / name).write_bytes(clean)
    with Image.open(io.BytesIO(clean)) as check:
        width, height = check.size
    return StoredImage(filename=name, content_type=content_type, width=width, height=height)


def path_of(filename: str) -> Path | None:
    """The file for a stored name; None for anything that is not one of ours (no path tricks)."""
    if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
        return None
    path = upload_dir() / filename
    return path if path.is_file() else None


def remove(filename: str) -> None:
    path = path_of(filename)
    if path is not None:
        path.unlink(missing_ok=True)
