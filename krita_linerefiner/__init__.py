"""LineRefiner: close gaps in line art and refine lines, inside Krita or from the command line.

Importing the package outside Krita (the CLI, tests) registers nothing; inside Krita it adds
the Filter-menu actions and the "Line Refiner" docker.
"""

# This file must run on Python 3.8 (Krita 5.0 and 5.1 official builds) far enough to say which
# Krita is needed: only syntax and calls that 3.8 has, and the check before any other import of
# the package (which uses 3.10 features such as zip(strict=) and functools.cache).
from __future__ import annotations

import sys

MIN_PYTHON = (3, 10)
TOO_OLD = (
    "LineRefiner needs Krita 5.2 or newer (with Python {need} or newer); this Krita runs "
    "Python {have}. Update Krita from krita.org, then restart it."
)


def python_problem(version: tuple = tuple(sys.version_info[:2])) -> str | None:
    """The one line to show when this Python is too old for LineRefiner; None when it is fine."""
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    need, have = MIN_PYTHON, version
    return TOO_OLD.format(need=f"{need[0]}.{need[1]}", have=f"{have[0]}.{have[1]}")


_problem = python_problem()
if _problem is not None:
    # Krita shows an import error in Settings > Configure Krita > Python Plugin Manager (hover
    # over the plugin) and prints it; the CLI prints it too. One line, no traceback of ours.
    raise ImportError(_problem)

try:
    import krita  # type: ignore[import-not-found]  # only exists inside Krita
except ImportError:
    krita = None

if krita is not None:
    from .plugin.extension import register

    register(krita)
