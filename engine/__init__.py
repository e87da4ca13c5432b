"""sequex's exchange engine: the domain core, protocols, stages and host wiring.

Importing the package chooses the build of the hot path for this process (`engine.native`):
the compiled extension modules, or their sources uncompiled with ``SEQUEX_PURE=1``.
"""

from engine import native as _native

_native.install()
