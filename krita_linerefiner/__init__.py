"""LineRefiner: close gaps in line art and refine lines, inside Krita or from the command line.

Importing the package outside Krita (the CLI, tests) registers nothing; inside Krita it adds
the Filter-menu actions and the "Line Refiner" docker.
"""

from __future__ import annotations

try:
    import krita  # type: ignore[import-not-found]  # only exists inside Krita
except ImportError:
    krita = None

if krita is not None:
    from .plugin.extension import register

    register(krita)
