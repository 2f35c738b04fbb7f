"""The one error format of the command-line steps: ``error: <path relative to the project>:
<what> (<fix>)``, one line on stderr, exit status 2 (``RASSO_DEBUG=1`` adds the traceback).

:class:`ProjectError` builds such a message from its three parts; :func:`fail` prints any
exception in that format, writing paths inside the project relative to it."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from rasso_research import paths


def rel(path: Path | str) -> str:
    """``path`` relative to the project when inside it (else as given)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(paths.ROOT)) if p.is_absolute() else str(p)
    except ValueError:
        return str(p)


class ProjectError(Exception):
    """An error about one file or setting: ``<where>: <what> (<fix>)``."""

    def __init__(self, where: Path | str, what: str, fix: str = ""):
        self.where, self.what, self.fix = where, what, fix
        where_s = rel(where) if isinstance(where, Path) else str(where)
        super().__init__(f"{where_s}: {what}" + (f" ({fix})" if fix else ""))


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line, paths inside the project written relative to it."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    root = str(paths.ROOT)
    return msg.replace(root + os.sep, "").replace(root, ".")


def fail(exc: BaseException) -> int:
    """Print ``error: <one line>`` on stderr and return 2; the traceback too with
    ``RASSO_DEBUG=1``."""
    if os.environ.get("RASSO_DEBUG") == "1":
        traceback.print_exception(exc)
    print(f"error: {one_line(exc)}", file=sys.stderr)
    return 2
