"""Where generated source lives, so every tool that shows source lines shows it.

``register(name, source)`` returns the file name to compile ``source`` under.  The text
goes into ``linecache`` (``inspect.getsource``, ``pdb``, IPython, pytest and the
``traceback`` module read it there) and, where possible, into a real file named after
its content, ``<tmp>/s2sdiff-<user>/<name>-<digest>.py``: Python's default traceback
before 3.13 reads source only from files, and so do debuggers, coverage and profilers.
The same source always gets the same file, written once (atomically); the code that runs
is compiled from the string, never read back.  The directory is created private to the
user; where it cannot be (read-only, owned by another user) or ``S2SDIFF_SOURCE_DIR`` is
set to the empty string, the name is ``<s2sdiff name digest>``, in ``linecache`` only.
``S2SDIFF_SOURCE_DIR`` may also name another directory.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import stat
import tempfile

_files: set[str] = set()


def _directory() -> str | None:
    """The directory for source files, or None when there is none we can trust."""
    chosen = os.environ.get("S2SDIFF_SOURCE_DIR")
    if chosen == "":
        return None
    uid = os.getuid() if hasattr(os, "getuid") else None
    path = chosen or os.path.join(tempfile.gettempdir(), f"s2sdiff-{uid if uid is not None else 'user'}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
        return None
    return path


def _write(path: str, source: str) -> bool:
    if os.path.exists(path):
        return True
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(source)
        os.replace(temporary, path)
        return True
    except OSError:
        return False


def register(name: str, source: str) -> str:
    """The file name to compile ``source`` (the code of the function ``name``) under,
    with its lines in ``linecache``."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    directory = _directory()
    filename = f"<s2sdiff {name} {digest}>"
    if directory is not None:
        path = os.path.join(directory, f"{name}-{digest}.py")
        if _write(path, source):
            filename = path
            _files.add(path)
    # mtime None: linecache.checkcache keeps the entry even if the file goes away
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return filename


def is_generated(filename: str) -> bool:
    """Whether code compiled under ``filename`` is generated code (``register``'s)."""
    return filename in _files or filename.startswith("<s2sdiff ")


def markdown(source: str) -> str:
    """``source`` as a Markdown code block: what Jupyter shows (highlighted) when a
    generated function is the last expression of a cell (its ``_repr_markdown_``)."""
    return f"```python\n{source.rstrip()}\n```\n"
