"""docs/rules.md, the exchange's rulebook: every example runs, and every reason code is listed.

The rulebook's examples are machine-checked. Its fenced blocks, by tag:

* ```` ```setup NAME ````: set-up commands (JSON lines) that examples can start from;
* ```` ```commands ```` (optionally ``setup=NAME``, ``window=W`` and ``rules=R``): an example's
  commands. The example runs on a fresh :class:`Exchange` with feedback window W (default 1)
  under rules version R (default: the current rules): the set-up's
  commands first, then its own. A line ``# ---`` splits the commands into an unshown part and
  a shown part (no marker: all are shown); other lines starting with ``#`` are comments;
* ```` ```events ````: the block right after a commands block, holding exactly the canonical
  event lines the engine emits for the shown commands, in order;
* ```` ```text ````: shown, never run.

Any other fenced block in the rulebook is refused, so a mistyped tag cannot turn an example
into unchecked prose. The path is the one ``sequex simulate`` takes: ``FastCommandReader``
reads each line, ``Exchange.submit`` runs it and ``EventLines`` writes its events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.canonical.command_lines import FastCommandReader
from engine.canonical.lines import EventLines
from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import CancelReason, ExpireReason, RejectReason

RULES = Path(__file__).resolve().parents[2] / "docs" / "rules.md"

#: How many examples each section of the rulebook holds: an example that stops being parsed
#: (a broken fence, a changed tag) or a section that loses its examples fails the count.
EXAMPLES_PER_SECTION: dict[str, int] = {
    "Accounts and firms": 1,
    "Order types and time in force": 2,
    "How IOC, FOK and market orders end": 3,
    "The price band": 1,
    "Self-trade prevention": 3,
    "Cancel and replace": 5,
    "Halts": 1,
    "End of day": 1,
    "Lot and tick": 1,
    "Wallets: holds, deposits and withdrawals": 3,
    "Account risk limits": 1,
    "The feedback window W": 2,
    "Settlement (T+2)": 4,
    "Reason codes": 1,
}

#: The tags a fenced block of the rulebook may carry (``text``: a block that is not run).
TAGS = {"setup", "commands", "events", "text"}
MARKER = "# ---"


@dataclass
class Example:
    """One commands block and the events block that follows it."""

    section: str
    line: int
    setup: str | None
    window: int
    rules: int = CURRENT_RULES
    hidden: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    events: list[str] | None = None

    @property
    def name(self) -> str:
        return f"rules.md:{self.line}"


@dataclass
class Rulebook:
    """What the test reads from docs/rules.md."""

    setups: dict[str, list[str]]
    examples: list[Example]
    #: every line of the document, for the tables
    lines: list[str]


def _command_lines(body: list[str]) -> tuple[list[str], list[str]]:
    """A commands block's (hidden, shown) command lines: before and after its marker."""
    hidden: list[str] = []
    shown: list[str] = []
    current = shown
    if MARKER in body:
        current = hidden
    for text in body:
        if text.strip() == MARKER:
            current = shown
        elif text.strip() and not text.startswith("#"):
            current.append(text)
    return hidden, shown


def parse(text: str) -> Rulebook:
    """Read setups and examples from the rulebook's text; AssertionError on a malformed one."""
    lines = text.splitlines()
    setups: dict[str, list[str]] = {}
    examples: list[Example] = []
    section = ""
    waiting: Example | None = None  # a commands block whose events block is due next
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("```"):
            i += 1
            continue
        words = line[3:].split()
        tag = words[0] if words else ""
        start = i + 1
        end = start
        while end < len(lines) and lines[end] != "```":
            end += 1
        assert end < len(lines), f"rules.md:{i + 1}: unclosed fence"
        body = lines[start:end]
        assert tag in TAGS, f"rules.md:{i + 1}: unknown fence tag {tag!r}"
        assert waiting is None or tag == "events", (
            f"{waiting.name}: a commands block must be followed by its events block"
        )
        if tag == "setup":
            assert len(words) == 2, f"rules.md:{i + 1}: a setup block needs one name"
            setups[words[1]] = [t for t in body if t.strip() and not t.startswith("#")]
        elif tag == "commands":
            options = dict(word.split("=", 1) for word in words[1:])
            assert set(options) <= {"setup", "window", "rules"}, f"rules.md:{i + 1}: {options}"
            setup = options.get("setup")
            assert setup is None or setup in setups, f"rules.md:{i + 1}: no setup {setup!r}"
            hidden, shown = _command_lines(body)
            window, rules = (
                int(options.get("window", "1")),
                int(options.get("rules", CURRENT_RULES)),
            )
            waiting = Example(section, i + 1, setup, window, rules)
            waiting.hidden, waiting.shown = hidden, shown
        elif tag == "events":
            assert waiting is not None, f"rules.md:{i + 1}: an events block without commands"
            waiting.events = [t for t in body if t.strip()]
            examples.append(waiting)
            waiting = None
        i = end + 1
    assert waiting is None, f"{waiting.name}: no events block"
    return Rulebook(setups, examples, lines)


def run_example(book: Rulebook, example: Example) -> tuple[list[str], list[str]]:
    """Run an example: (event lines of its set-up and hidden commands, of its shown commands).
    Invariants are checked after every command."""
    exchange = Exchange(feedback_window=example.window, rules=example.rules)
    reader = FastCommandReader()
    setup = book.setups[example.setup] if example.setup else []
    unshown = EventLines()
    shown = EventLines()
    for text, out in [(t, unshown) for t in setup + example.hidden] + [
        (t, shown) for t in example.shown
    ]:
        command = reader.read_line(text.encode())
        out.add_events(command[0], exchange.submit(command))
        exchange.check_invariants()
    return unshown.take().decode().splitlines(), shown.take().decode().splitlines()


BOOK = parse(RULES.read_text(encoding="utf-8"))


def test_every_section_has_its_examples() -> None:
    counts: dict[str, int] = {}
    for example in BOOK.examples:
        counts[example.section] = counts.get(example.section, 0) + 1
    assert counts == EXAMPLES_PER_SECTION
    assert len(BOOK.examples) == sum(EXAMPLES_PER_SECTION.values())


@pytest.mark.parametrize("example", BOOK.examples, ids=lambda e: e.name)
def test_an_example_gives_exactly_its_documented_events(example: Example) -> None:
    """The documented lines are the engine's, byte for byte; no unshown command is refused
    (a set-up that stopped working would otherwise change the example out of sight)."""
    assert example.shown, f"{example.name}: no shown commands"
    unshown, shown = run_example(BOOK, example)
    assert [line for line in unshown if '"type":"rejected"' in line] == []
    assert shown == example.events, f"{example.name}: the engine emits\n" + "\n".join(shown)


def _table(heading: str) -> dict[int, str]:
    """The rows ``| number | `name` | ...`` of the first table after ``heading``."""
    lines = BOOK.lines
    at = lines.index(heading)
    rows: dict[int, str] = {}
    for line in lines[at + 1 :]:
        if line.startswith("#"):
            break
        match = re.match(r"\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|", line)
        if match:
            number = int(match.group(1))
            assert number not in rows, f"{heading}: {number} twice"
            rows[number] = match.group(2)
        elif rows and not line.startswith("|"):
            break
    return rows


@pytest.mark.parametrize(
    ("heading", "enum"),
    [
        ("### Reject reasons", RejectReason),
        ("### Cancel reasons", CancelReason),
        ("### Expire reasons", ExpireReason),
    ],
)
def test_every_reason_code_is_in_its_table(
    heading: str, enum: type[RejectReason | CancelReason | ExpireReason]
) -> None:
    """Each table lists exactly the enum's members, by number and canonical (event) name."""
    assert _table(heading) == {member.value: member.name.lower() for member in enum}


@pytest.mark.parametrize("enum", [RejectReason, CancelReason, ExpireReason])
def test_every_reason_code_happens_in_an_example(
    enum: type[RejectReason | CancelReason | ExpireReason],
) -> None:
    shown = " ".join(line for example in BOOK.examples for line in example.events or [])
    missing = [m.name.lower() for m in enum if f'"reason":"{m.name.lower()}"' not in shown]
    assert not missing
