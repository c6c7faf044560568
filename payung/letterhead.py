"""The kop surat (letterhead) of bills, receipts and monthly reports, and its signature block.

Set in ``config.toml``: ``[letterhead]`` for what every regency shares, and
``[letterhead."<regency code>"]`` per regency::

    [letterhead."33.24"]
    government = "PEMERINTAH KABUPATEN KENDAL"     # default: from [[regencies]] name
    office = "DINAS SOSIAL"
    address = "Jl. Soekarno-Hatta No. 191, Kendal 51311"
    official = "Drs. Ahmad Fauzi, M.Si."
    official_title = "Kepala Dinas Sosial"
    nip = "197001011995031001"

The logo is uploaded by an administrator (page Kop surat) and kept as a PNG file in the data
folder, next to the database (``kop/logo-<regency code>.png``): never fetched from anywhere.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from db import store

from .access import Actor, require
from .config import Settings
from .errors import Problem, ValidationError

#: Largest logo file accepted (bytes) and the size it is scaled down to (pixels).
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_PIXELS = 400
FIELDS = ("government", "office", "address", "official", "official_title", "nip")


@dataclass(frozen=True)
class Letterhead:
    government: str = ""
    office: str = ""
    address: str = ""
    official: str = ""
    official_title: str = ""
    nip: str = ""
    logo: Path | None = None

    @property
    def empty(self) -> bool:
        return not (self.government or self.office or self.logo)


def logo_path(settings: Settings, regency_code: str) -> Path:
    return Path(settings.database).resolve().parent / "kop" / f"logo-{regency_code.replace('.', '-')}.png"


def letterhead_for(settings: Settings, regency_code: str | None) -> Letterhead:
    """The letterhead of a regency (defaults, then its own section); without a regency only
    the shared ``[letterhead]`` values."""
    raw = settings.letterhead or {}
    values = {k: str(raw[k]) for k in FIELDS if isinstance(raw.get(k), (str, int))}
    if regency_code:
        own = raw.get(regency_code)
        if isinstance(own, dict):
            values |= {k: str(own[k]) for k in FIELDS if k in own}
        regency = settings.regency(regency_code)
        if regency and "government" not in values:
            name = regency.name.upper()
            values["government"] = name if name.startswith("PEMERINTAH") else f"PEMERINTAH {name}"
        logo = logo_path(settings, regency_code)
        return Letterhead(**values, logo=logo if logo.is_file() else None)
    return Letterhead(**values)


def save_logo(db, settings: Settings, regency_code: str, data: bytes, *, actor: Actor) -> Path:
    """Store an uploaded logo (PNG or JPEG) for a regency's letterhead: re-encoded as a PNG of at
    most ``LOGO_PIXELS`` (nothing of the uploaded file but its pixels is kept), written
    atomically, and recorded in the audit log. Administrators only."""
    require(actor, "letterhead.manage")
    from PIL import Image, UnidentifiedImageError

    if settings.regency(regency_code) is None:
        raise ValidationError([Problem("regency", "Kabupaten tidak dikenal.", "regency_unknown")])
    if not data or len(data) > MAX_LOGO_BYTES:
        raise ValidationError([Problem("logo", f"Logo harus berkas PNG atau JPG, paling besar "
                                               f"{MAX_LOGO_BYTES // 1024 // 1024} MB.", "logo_size")])
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise ValidationError([Problem("logo", "Logo harus berkas PNG atau JPG.", "logo_format")])
            if probe.width * probe.height > 40_000_000:
                raise ValidationError([Problem("logo", "Gambar logo terlalu besar.", "logo_size")])
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA")
            image.thumbnail((LOGO_PIXELS, LOGO_PIXELS))
            out = io.BytesIO()
            image.save(out, "PNG")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError([Problem("logo", "Berkas ini bukan gambar PNG atau JPG yang dapat dibaca.",
                                       "logo_format")]) from exc
    target = logo_path(settings, regency_code)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".png")
    with os.fdopen(handle, "wb") as file:
        file.write(out.getvalue())
    os.replace(temporary, target)
    store.log_event(db, actor=actor.username, action="letterhead_logo", table="letterhead", row_id=regency_code,
                    details={"file": target.name, "bytes": len(out.getvalue())})
    return target
