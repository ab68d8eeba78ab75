"""Uploaded images, for every domain: checked with Pillow, re-encoded (which drops EXIF, GPS included),
stored under random names in UPLOAD_DIR/<kind>/, served with a sandboxing CSP.

Proposals keep their own table of images (several per proposal, with alt texts); single images of the
platform's pages (a commune's logo, a process's image) are `UploadedImage` rows referenced by their owner.
"""
from __future__ import annotations

import io
import re
import secrets
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 5
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
MAX_SIDE = 2400  # larger pictures are scaled down: nobody needs more on a page
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
STORED_NAME = re.compile(r"[A-Za-z0-9_-]{24}\.(?:jpg|png|webp)")  # what write() names files
KINDS = frozenset({"proposals", "processes", "logos", "projects"})  # sub-directories of UPLOAD_DIR


@dataclass
class StoredImage:
    filename: str
    content_type: str
    width: int
    height: int


def upload_dir(kind: str = "proposals") -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of image: {kind}")
    path = Path(current_app.config["UPLOAD_DIR"]) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_upload(file_storage) -> bytes | None:
    """The bytes of an uploaded file (a werkzeug FileStorage), or None when no file was chosen. Reads at
    most one byte past the limit: enough to refuse an oversize file without holding it all."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        return None
    return file_storage.stream.read(MAX_BYTES + 1)


def read_image(data: bytes, field: str = "images") -> tuple[Image.Image, str]:
    """Open and fully decode an upload, or raise a DomainError (on `field`) saying why it is refused."""
    def refuse(message) -> DomainError:
        return DomainError(message, field=field)
    if len(data) > MAX_BYTES:
        raise refuse(_l("Each image must be at most 5 MB."))
    if not data:
        raise refuse(_l("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in FORMATS:
                raise refuse(_l("Only JPEG, PNG and WebP images are accepted."))
            if image.width * image.height > MAX_PIXELS:
                raise refuse(_l("This image has too many pixels."))
            image.load()  # decode everything now: a truncated or forged file fails here
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise refuse(_l("This file is not an image we can read (JPEG, PNG or WebP)."))
    return image, fmt


def reencode(image: Image.Image, fmt: str, max_side: int = MAX_SIDE) -> bytes:
    """A new file from the pixels only: no EXIF, no GPS, no comments, no ICC tricks."""
    image = ImageOps.exif_transpose(image)  # keep the intended orientation before losing the tag
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side))
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


def store(data: bytes, kind: str = "proposals", *, field: str = "images", max_side: int = MAX_SIDE) -> StoredImage:
    return write(*read_image(data, field), kind=kind, max_side=max_side)


def write(image: Image.Image, fmt: str, kind: str = "proposals", max_side: int = MAX_SIDE) -> StoredImage:
    clean = reencode(image, fmt, max_side)
    content_type, ext = FORMATS[fmt]
    name = f"{secrets.token_urlsafe(18)}.{ext}"
    (upload_dir(kind) / name).write_bytes(clean)
    with Image.open(io.BytesIO(clean)) as check:
        width, height = check.size
    return StoredImage(filename=name, content_type=content_type, width=width, height=height)


def is_stored_name(filename: str | None) -> bool:
    """A name write() could have given: checked before any lookup, so no path trick or NUL byte reaches
    the disk or the database."""
    return bool(filename) and STORED_NAME.fullmatch(filename) is not None


def path_of(filename: str, kind: str = "proposals") -> Path | None:
    """The file for a stored name; None for anything that is not one of ours (no path tricks)."""
    if not is_stored_name(filename):
        return None
    path = upload_dir(kind) / filename
    return path if path.is_file() else None


def remove(filename: str, kind: str = "proposals") -> None:
    path = path_of(filename, kind)
    if path is not None:
        path.unlink(missing_ok=True)


@contextmanager
def files_kept_on_commit():
    """Yields a list; append (kind, filename) for each file written in the block. If anything in the
    block fails (a bad image, the flush, the commit), the session is rolled back and those files are
    removed, so no file outlives a transaction that did not commit."""
    from .extensions import db

    written: list[tuple[str, str]] = []
    try:
        yield written
    except BaseException:
        db.session.rollback()
        for kind, name in written:
            remove(name, kind)
        raise


def serve(path: Path, content_type: str):
    """An image response that cannot be anything else: sniffing off, and sandboxed if opened directly."""
    response = send_file(path, mimetype=content_type, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response



@contextmanager
def replacing(owner, attr: str, data: bytes | None, *, remove_current: bool, commune_id: int, kind: str,
              field: str, max_side: int):
    """The single image `owner.<attr>` after an edit, for the transaction committed in the block: a new
    upload wins, else the current image stays unless asked to remove it. The replaced image's row is
    deleted in the same transaction and its file removed once the block is over; if the block fails,
    the new file goes with the rollback."""
    from .extensions import db

    current = getattr(owner, attr)
    obsolete = None
    with files_kept_on_commit() as written:
        if data is not None:
            setattr(owner, attr, add(data, commune_id=commune_id, kind=kind, field=field, max_side=max_side,
                                     written=written))
            obsolete = current
        elif remove_current:
            setattr(owner, attr, None)
            obsolete = current
        if obsolete is not None:
            db.session.delete(obsolete)
        yield
    if obsolete is not None:
        remove(obsolete.filename, obsolete.kind)

def add(data: bytes, *, commune_id: int, kind: str, field: str, max_side: int, written: list):
    """A new UploadedImage from an upload, in the current transaction (inside files_kept_on_commit())."""
    from .extensions import db
    from .models import UploadedImage

    image, fmt = read_image(data, field)
    saved = write(image, fmt, kind, max_side)
    written.append((kind, saved.filename))
    row = UploadedImage(commune_id=commune_id, kind=kind, filename=saved.filename,
                        content_type=saved.content_type, width=saved.width, height=saved.height)
    db.session.add(row)
    return row
