"""Exceptions raised by the journal.

``JournalCorruption`` is damage that cannot be a torn write: a bad record followed by a valid
one. It names the segment file and the byte offset so an operator can look at it; the journal
never skips such a record.
"""

from __future__ import annotations


class JournalError(Exception):
    """Base class of every journal error."""


class JournalFormatError(JournalError):
    """A file is not a journal segment (or snapshot) of a format this code understands."""


class SequenceError(JournalError, ValueError):
    """An append whose seq is not greater than the last appended seq."""


class JournalCorruption(JournalError):
    """A damaged record in the middle of the log: valid records follow it."""

    def __init__(self, segment: str, offset: int, reason: str) -> None:
        super().__init__(f"{segment} at byte {offset}: {reason}")
        self.segment = segment
        self.offset = offset
        self.reason = reason
