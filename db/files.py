"""Files that hold personal data (a SQLite database, its backups, the folder they are in) are
for the owner only: every NIK is in them.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_file(path: Path, *, create: bool = True) -> None:
    """Make ``path`` an owner-only file: created empty with mode 0600 if missing (``create``),
    tightened to 0600 if group or others may read it. Where the file system or the owner does
    not allow it (a FAT flash disk, someone else's file), it is left as it is."""
    try:
        if create:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                return
            except FileExistsError:
                pass
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass


def private_folder(path: Path, *, tighten: bool = True) -> None:
    """Make the folder ``path`` (and missing parents) with mode 0700; an existing one is
    tightened to 0700 too when ``tighten`` (a folder of backups), else left as it is (the
    folder a database was put in may be anyone's)."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        try:
            os.chmod(path, PRIVATE_FOLDER)  # mkdir's mode is masked by the umask
        except OSError:
            pass
        return
    if tighten:
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, PRIVATE_FOLDER)
        except OSError:
            pass
