"""`sequex simulate`: run the exchange state machine offline over a commands.jsonl file.

    sequex simulate --in commands.jsonl --out events.jsonl [--on-error skip|stop]
                    [--feedback-window W] [--rules N]

Reads one command per line (schema: docs/commands-jsonl.md; blank lines are ignored), submits
each to one in-process :class:`engine.domain.exchange.Exchange`, and writes every event as a
canonical JSON line (:mod:`engine.canonical`). Then prints a summary, one ``key value`` pair a
line: ``state_hash`` (16 hex digits), ``digest`` (xxh3_64 of exactly the bytes written to
``--out``), and the counts ``commands``, ``events``, ``rejects``, ``trades``, ``bad_lines``.

A bad line (invalid JSON or an invalid command) is reported on stderr as
``commands.jsonl:LINE: reason``; with ``--on-error skip`` (default) it is skipped and gets no
seq_no, with ``--on-error stop`` the run stops there with exit code 2 (what came before stays
written, no summary). ``--in -`` reads standard input; ``--out -`` writes the events to
standard output and the summary to standard error, so that stdout is exactly the event stream.

Exit codes: 0 done (even if lines were skipped), 2 bad usage, unreadable input, unwritable
output or a bad line under ``stop``, 3 the engine raised (a bug: reported, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any

from engine.domain.rules import CURRENT_RULES, KNOWN_RULES

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ENGINE_ERROR = 3


DESCRIPTION = """\
Run the exchange offline, in this process, over a file of commands (one JSON object a line;
the format is in docs/commands-jsonl.md) and write the events it answers with. Then print the
state hash, the digest of the events written and counts, one "key value" pair a line.

A bad line is reported on stderr as FILE:LINE: reason.

exit status: 0 done (bad lines skipped), 2 a usage error, unreadable input, unwritable output
or a bad line under --on-error stop, 3 an internal engine error"""


def register(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand; its ``func`` is :func:`run`."""
    parser = subparsers.add_parser(
        "simulate",
        help="run the exchange offline over a file of commands (JSON lines)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--in",
        dest="input",
        required=True,
        metavar="COMMANDS_JSONL",
        help="commands, one JSON object a line ('-' = stdin)",
    )
    parser.add_argument(
        "--out",
        dest="output",
        required=True,
        metavar="EVENTS_JSONL",
        help="canonical events, one JSON object a line ('-' = stdout)",
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "stop"),
        default="skip",
        help="what a bad input line does (default: skip it)",
    )
    parser.add_argument(
        "--feedback-window",
        type=_positive_int,
        default=1,
        metavar="W",
        help="the feedback window W a host journal would carry (default 1: strictly serial)",
    )
    parser.add_argument(
        "--rules",
        type=int,
        choices=sorted(KNOWN_RULES),
        default=CURRENT_RULES,
        metavar="N",
        help=f"the rulebook version to run (default {CURRENT_RULES}, the current one; 1 as "
        "journals written before rules versions run: docs/rules.md)",
    )
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


@dataclass(slots=True)
class SimulationSummary:
    """What a run printed: the hashes and the counts."""

    state_hash: int = 0
    digest: str = ""
    commands: int = 0
    events: int = 0
    rejects: int = 0
    trades: int = 0
    bad_lines: int = 0

    def lines(self) -> list[str]:
        return [
            f"state_hash {self.state_hash & 0xFFFF_FFFF_FFFF_FFFF:016x}",
            f"digest {self.digest}",
            f"commands {self.commands}",
            f"events {self.events}",
            f"rejects {self.rejects}",
            f"trades {self.trades}",
            f"bad_lines {self.bad_lines}",
        ]


class BadLineError(Exception):
    """A bad input line under ``--on-error stop``."""


def run(args: argparse.Namespace) -> int:
    """Run ``sequex simulate`` with parsed arguments; returns the exit code."""
    with ExitStack() as stack:
        try:
            source = _open_input(args.input, stack)
            sink = _open_output(args.output, stack)
        except OSError as exc:
            _error(f"{exc.filename or '-'}: {exc.strerror or exc}")
            return EXIT_USAGE
        name = "<stdin>" if args.input == "-" else str(args.input)
        summary_out = sys.stderr if args.output == "-" else sys.stdout
        try:
            summary = simulate(
                source,
                sink,
                name=name,
                stop_on_error=args.on_error == "stop",
                feedback_window=args.feedback_window,
                rules=args.rules,
            )
        except BadLineError:
            return EXIT_USAGE
        except _EngineError as exc:
            _error(str(exc))
            return EXIT_ENGINE_ERROR
        except BrokenPipeError:
            if args.output == "-":
                raise  # the reader of stdout went away (`| head`): the cli ends quietly, 141
            _error(f"I/O error: {args.output}: the reader of the output went away")
            return EXIT_USAGE
        except OSError as exc:
            _error(f"I/O error: {exc}")
            return EXIT_USAGE
        sink.flush()
    for line in summary.lines():
        print(line, file=summary_out)
    return EXIT_OK


class _EngineError(Exception):
    pass


#: Event lines are written (and digested) in chunks of about this many bytes.
CHUNK_BYTES = 1 << 16


def simulate(
    source: IO[bytes],
    sink: IO[bytes],
    *,
    name: str = "commands.jsonl",
    stop_on_error: bool = False,
    feedback_window: int = 1,
    rules: int = CURRENT_RULES,
) -> SimulationSummary:
    """Submit every command of ``source`` to a fresh Exchange, write the canonical event lines
    to ``sink`` and return the summary. Bad lines go to stderr as ``name:LINE: reason``; with
    ``stop_on_error`` the first raises BadLineError. An exception from the engine becomes
    _EngineError naming the line. Either way the lines of the commands before it are written.

    Lines are read by ``FastCommandReader`` (the rules and errors of ``CommandReader``) and
    events encoded by ``EventLines`` (the bytes of ``encode_events``), in chunks."""
    from engine.canonical import CommandFormatError, OutputDigest
    from engine.canonical.command_lines import FastCommandReader
    from engine.canonical.lines import EventLines
    from engine.domain.exchange import Exchange
    from engine.domain.types import BookExecute, Rejected

    exchange = Exchange(feedback_window=feedback_window, rules=rules)
    submit = exchange.submit
    read_line = FastCommandReader().read_line
    digest = OutputDigest()
    lines = EventLines()
    add_events = lines.add_events
    write = sink.write
    commands = bad_lines = 0

    def flush() -> None:
        count = lines.count
        data = lines.take()
        digest.update_bytes(data, count)
        write(data)

    for lineno, raw in enumerate(source, 1):
        try:
            cmd = read_line(raw)
        except CommandFormatError as exc:
            if not raw.strip():
                continue  # a blank line
            bad_lines += 1
            print(f"{name}:{lineno}: {exc}", file=sys.stderr)
            if stop_on_error:
                flush()
                raise BadLineError from None
            continue
        try:
            events = submit(cmd)
        except Exception as exc:  # an engine bug: report it without a traceback
            flush()
            raise _EngineError(
                f"{name}:{lineno}: engine error on seq_no {cmd.seq_no}: {type(exc).__name__}: {exc}"
            ) from None
        add_events(cmd[0], events)
        commands += 1
        if len(lines) >= CHUNK_BYTES:
            flush()
    flush()
    by_class = lines.counts_by_class()
    return SimulationSummary(
        state_hash=exchange.state_hash(),
        digest=digest.hexdigest(),
        commands=commands,
        events=digest.count,
        rejects=by_class[Rejected],
        trades=by_class[BookExecute],  # one per trade (the maker's side of it)
        bad_lines=bad_lines,
    )


def _open_input(path: str, stack: ExitStack) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    return stack.enter_context(open(path, "rb"))


def _open_output(path: str, stack: ExitStack) -> IO[bytes]:
    if path == "-":
        return sys.stdout.buffer
    return stack.enter_context(open(path, "wb"))


def _error(message: str) -> None:
    print(f"sequex simulate: {message}", file=sys.stderr)
