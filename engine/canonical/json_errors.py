"""What is wrong with one JSON line, said in terms of that line.

``json.loads`` locates a syntax error as "line L column C (char N)" of the text it was given:
for one line of a JSON-lines stream that is "line 1" (or "line 2" when the text still ends in
its newline), never the stream's line number, which the caller knows and prints. So the
message here carries the position as a byte offset into the line (counted from 0, in the bytes
as received), and leaves the line number to the caller:

    invalid JSON at byte offset 15: Expecting ',' delimiter
    invalid JSON at byte offset 32 (the end of the line): Expecting ',' delimiter
"""

from __future__ import annotations

import json

__all__ = ["describe_json_error"]


def describe_json_error(exc: ValueError | RecursionError) -> str:
    """One sentence for the error ``json.loads`` raised on one line: JSONDecodeError (with the
    byte offset of the error in the line's UTF-8 bytes), UnicodeDecodeError (the offset of the
    first bad byte), RecursionError (nesting too deep) or another ValueError (its own text,
    e.g. an integer of too many digits)."""
    if isinstance(exc, json.JSONDecodeError):
        content = exc.doc.rstrip("\r\n")  # a reader may or may not have cut the newline off
        if exc.pos >= len(content):  # where the text ended too soon: past any newline
            where = f"{_utf8_length(content)} (the end of the line)"
        else:
            where = str(_utf8_length(exc.doc[: exc.pos]))
        return f"invalid JSON at byte offset {where}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid JSON: not UTF-8 text at byte offset {exc.start}"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    return f"invalid JSON: {exc}"


def _utf8_length(text: str) -> int:
    # json.loads reports positions in characters of the decoded text; the line's bytes are its
    # UTF-8 form (a lone surrogate, only possible as an escape, counts its 3 bytes)
    return len(text.encode("utf-8", "surrogatepass"))
