"""Attachments on disk that are either whole and recorded, or not there at all (issue 19).

- `AtomicFileSystemStorage` (the default storage) writes a file under a temporary name beside its place and links
  it into place only once it is whole: a write that fails half-way — the disk full, a quota, a read-only mount —
  leaves no partial file, and the error (OSError ENOSPC/EDQUOT/EROFS) is answered 507 (core.error_pages).
- `files_follow_transaction` wraps a write transaction: the files written inside it (`written`) are deleted
  again if the transaction does not commit, so a rolled-back upload leaves no file without its row.
"""

import contextlib
import contextvars
import functools
import os
import uuid

from django.core.files.storage import FileSystemStorage, default_storage

_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("written_files", default=None)


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        part = f"{name}.{uuid.uuid4().hex}.part"
        try:
            part = super()._save(part, content)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(self.path(part))
            raise
        try:
            while True:
                try:
                    os.link(self.path(part), self.path(name))  # never replaces a file already there
                    return name
                except FileExistsError:
                    name = self.get_available_name(name)
        finally:
            with contextlib.suppress(OSError):
                os.remove(self.path(part))


def written(name: str) -> None:
    """A file was stored inside the current `files_follow_transaction` block."""
    names = _written.get()
    if names is not None:
        names.append(name)


def files_follow_transaction(function):
    """Decorate a function that runs one transaction (put it inside any retry, outside `transaction.atomic`):
    if it raises, the files stored during it are deleted. Nested (an action inside a larger transaction), the
    files it stored stay the outer function's to delete if that one fails."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        outer = _written.get()
        token = _written.set([])
        try:
            result = function(*args, **kwargs)
        except BaseException:
            for name in _written.get():
                with contextlib.suppress(Exception):
                    default_storage.delete(name)
            raise
        else:
            if outer is not None:
                outer.extend(_written.get())
            return result
        finally:
            _written.reset(token)

    return wrapper
