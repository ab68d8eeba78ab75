"""Factories for proposals tests: real operations, real images."""
from __future__ import annotations

import io
import itertools

from PIL import Image

from participation.extensions import db
from participation.models import Role
from proposals import operations as ops
from proposals.models import ProposalKind

from ..factories import grant, make_commune, make_process, make_user


_quick = itertools.count(1)


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera model, like a phone photo."""
    image = Image.new("RGB", size, (20, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "SecretPhone 12"  # Model
    gps = {1: "N", 2: (47.0, 45.0, 3.0), 3: "E", 4: (7.0, 20.0, 9.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def setup_commune(active="proposals"):
    commune = make_commune()
    process = make_process(commune, active=active)
    ops.ensure_default_themes(commune)
    db.session.commit()
    return commune, process


def resident(commune=None, **kw):
    user = make_user(**kw)
    if commune is not None:
        grant(user, commune, Role.resident)
    return user


_FAST_HASH = None


def quick_user(nickname: str, commune=None):
    """An account without the cost of hashing a password each time (for tests that need dozens)."""
    global _FAST_HASH
    from werkzeug.security import generate_password_hash

    from participation.models import User, utcnow
    _FAST_HASH = _FAST_HASH or generate_password_hash("unused password")
    user = User(email=f"quick{next(_quick)}@example.org", nickname=nickname, password_hash=_FAST_HASH,
                confirmed_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


def staff(commune, role):
    user = make_user()
    grant(user, commune, role)
    return user


def make_proposal(commune, process, author=None, *, title="Un jardin partagé", body="<p>Des bacs et des graines.</p>",
                  kind=ProposalKind.idea, **kw):
    author = author or resident(commune)
    return ops.submit_proposal(author, commune, process, title=title, body=body, kind=kind, **kw)


def url(process, suffix=""):
    return f"/{process.commune.slug}/processes/{process.slug}/proposals/{suffix}"
