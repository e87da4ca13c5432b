"""Validate raw FIX messages with QuickFIX's own FIX 4.4 data dictionary (package quickfix-ssl).

QuickFIX's Python wheel does not translate C++ exceptions: a message that fails
``DataDictionary.validate`` aborts the interpreter ("terminate called after throwing ...").
So the validation runs in a child process that reports each message it passed; when it dies,
the parent records the C++ error text for that message and starts a new child on the rest.

QuickFIX's ``validate`` checks: MsgType defined, every tag defined and allowed in that message
(header, body or trailer), values of enumerated fields, data formats (UTCTimestamp, INT, PRICE,
QTY, CHAR, ...), fields out of order (header fields after body fields), required body fields.
It does not insist on the required *header* fields, so :func:`missing_required` adds that
check (and the required fields of required components) from the same FIX44.xml.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

_CHILD = r"""
import sys
import quickfix
dd = quickfix.DataDictionary(sys.argv[1])
for line in sys.stdin:
    index, _, raw_hex = line.strip().partition(" ")
    raw = bytes.fromhex(raw_hex).decode("latin-1")
    message = quickfix.Message(raw, dd, True)
    dd.validate(message)
    print("ok", index, flush=True)
"""


@cache
def fix44_xml() -> Path:
    """FIX44.xml as installed by quickfix-ssl (under the environment's share/quickfix)."""
    dist = importlib.metadata.distribution("quickfix-ssl")
    for file in dist.files or ():
        if str(file).endswith("FIX44.xml"):
            return Path(str(dist.locate_file(file))).resolve()
    raise FileNotFoundError("quickfix-ssl is installed without FIX44.xml")


def quickfix_errors(messages: list[bytes]) -> dict[int, str]:
    """{index: QuickFIX's error} for every message QuickFIX refuses; {} when all pass."""
    errors: dict[int, str] = {}
    start = 0
    while start < len(messages):
        lines = "".join(f"{i} {messages[i].hex()}\n" for i in range(start, len(messages)))
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(fix44_xml())],
            input=lines,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        passed = [int(line.split()[1]) for line in done.stdout.splitlines() if line]
        if done.returncode == 0:
            assert len(passed) == len(messages) - start, done.stdout
            break
        failed = passed[-1] + 1 if passed else start
        if failed >= len(messages):  # died after the last message: not a validation error
            raise RuntimeError(f"QuickFIX child failed: {done.stderr[-2000:]}")
        errors[failed] = _what(done.stderr)
        start = failed + 1
    return errors


def _what(stderr: str) -> str:
    for line in stderr.splitlines():
        if "what():" in line:
            return line.split("what():", 1)[1].strip()
    return stderr.strip()[-500:] or "QuickFIX child died"


@cache
def _dictionary() -> ET.Element:
    return ET.parse(fix44_xml()).getroot()


@cache
def _tags_by_name() -> dict[str, int]:
    fields = _dictionary().find("fields")
    assert fields is not None
    return {f.get("name", ""): int(f.get("number", "0")) for f in fields}


def _required(node: ET.Element, components: dict[str, ET.Element]) -> set[int]:
    tags: set[int] = set()
    for child in node:
        if child.get("required") != "Y":
            continue
        if child.tag in ("field", "group"):  # a required group: its count tag is required
            tags.add(_tags_by_name()[child.get("name", "")])
        elif child.tag == "component":
            tags |= _required(components[child.get("name", "")], components)
    return tags


def missing_required(msg_type: str, present: set[int]) -> set[int]:
    """Tags FIX44.xml requires in a ``msg_type`` message (header, body, trailer) but absent."""
    root = _dictionary()
    components = {c.get("name", ""): c for c in root.iterfind("components/component")}
    required: set[int] = set()
    for section in ("header", "trailer"):
        node = root.find(section)
        assert node is not None
        required |= _required(node, components)
    message = next(m for m in root.iterfind("messages/message") if m.get("msgtype") == msg_type)
    required |= _required(message, components)
    return required - present


def fix44_msg_types() -> set[str]:
    return {m.get("msgtype", "") for m in _dictionary().iterfind("messages/message")}


def enum_values(tag: int) -> set[str]:
    """The enumerated values FIX44.xml gives for ``tag`` (empty: not enumerated)."""
    for f in _dictionary().iterfind("fields/field"):
        if f.get("number") == str(tag):
            return {v.get("enum", "") for v in f.iterfind("value")}
    raise KeyError(tag)
