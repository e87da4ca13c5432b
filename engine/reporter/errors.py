"""The reporter's error (its own module: every reporter module and backend raises it)."""

from __future__ import annotations


class ReporterError(Exception):
    """The reports database cannot be used: unreachable, unreadable, or ahead of its journal."""
