"""Where an attachment's bytes live: one small interface, put/get/delete by key.

The key is the SHA-256 of the content (64 lower-case hex digits): the same file uploaded
twice is stored once, a stored file can never be changed under its key, and a key names no
path a caller could steer. :class:`FolderStorage` keeps the files under a directory
(``ENGAGE_ATTACHMENTS_DIR``, default ``instance/attachments``); a production install may put
them in an object store instead by registering any object with the same three methods from a
plugin's ``init_app`` (``app.extensions[EXTENSION] = MyBucket(...)``; docs/attachments.md).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

EXTENSION = "engage.attachment_storage"
_KEY = re.compile(r"[0-9a-f]{64}")


class MissingBlob(LookupError):
    """No content is stored under the key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (its SHA-256); storing a key again changes nothing."""

    def get(self, key: str) -> bytes:
        """The content stored under ``key``; :class:`MissingBlob` when there is none."""

    def delete(self, key: str) -> None:
        """Remove the content under ``key``; nothing when there is none."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("a storage key is a SHA-256 in lower-case hex")
    return key


class FolderStorage:
    """Files under ``root``, fanned out by the key's first two pairs of digits
    (``ab/cd/abcd…``) so no directory grows too large."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a temporary file and renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o640)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingBlob(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> Storage:
    """The app's storage: a plugin's, else the folder of ``ENGAGE_ATTACHMENTS_DIR``."""
    app = current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = FolderStorage(app.config["ENGAGE_ATTACHMENTS_DIR"])
    return found
