"""sequex's exchange engine: the domain core, protocols, stages and host wiring.

Importing the package chooses the build of the hot path for this process (`engine.build`):
the compiled extension modules, or their sources uncompiled with ``SEQUEX_PURE=1``.
"""

from engine import build as _build

_build.install()
