"""What `sequex settle` prints, and which symbols it settles.

:func:`render_report` turns the exchange's answers to the settle commands (canonical event
objects: ``obligation``, ``account_settled``, ``settlement_done`` or a refusal) into the report:
per symbol, each firm's obligation against the clearinghouse (shares and cash received,
negative when delivered or paid), each account's settled trades (gross shares bought and sold,
cash paid and received), and the check that the obligations of each symbol and trade date sum
to zero. Cash is printed in currency units with 4 decimals (the exchange's price units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.config import HostConfig
from engine.domain.types import PRICE_UNITS_PER_CURRENCY_UNIT
from engine.reporter.errors import ReporterError


@dataclass
class SettleAnswer:
    """One symbol's settle: its seq_no, its events (JSON objects) or why it was refused."""

    symbol: str
    seq_no: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


def symbols_listed(config: HostConfig) -> list[str]:
    """The configuration's symbols and every symbol the reporter's database saw added."""
    symbols = {s.symbol for s in config.symbols}
    if config.reporter.enabled:
        from engine.reporter.writer import open_writer

        try:
            writer = open_writer(config.reporter, config.data_dir)
        except (ReporterError, OSError):
            return sorted(symbols)
        try:
            _, rows = writer.query(
                "SELECT symbol FROM commands WHERE kind = ? AND outcome = ?",
                ("add_symbol", "symbol_added"),
            )
        finally:
            writer.close()
        symbols.update(str(row[0]) for row in rows)
    return sorted(symbols)


def cash(units: int) -> str:
    """Price units as signed currency with 4 decimals: ``-1234.5000``."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), PRICE_UNITS_PER_CURRENCY_UNIT)
    return f"{sign}{whole}.{frac:04d}"


def _iso(yyyymmdd: int) -> str:
    return f"{yyyymmdd // 10_000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def render_report(answers: list[SettleAnswer]) -> str:
    lines: list[str] = []
    for answer in answers:
        head = f"{answer.symbol} (seq {answer.seq_no})" if answer.seq_no else answer.symbol
        if answer.reason is not None:
            lines.append(f"{head}: not settled: {answer.reason}")
            continue
        owed = [e for e in answer.events if e.get("type") == "obligation"]
        rows = [e for e in answer.events if e.get("type") == "account_settled"]
        if not owed:
            lines.append(f"{head}: nothing to settle")
            continue
        lines.append(f"{head}:")
        for day in sorted({e["trade_date"] for e in owed}):
            of_day = [e for e in owed if e["trade_date"] == day]
            lines.append(f"  trade date {_iso(day)}, obligations against the clearinghouse:")
            for e in of_day:
                lines.append(f"    {e['firm']:<16} shares {e['shares']:+d}  cash {cash(e['cash'])}")
            lines.append("  accounts:")
            for e in (r for r in rows if r["trade_date"] == day):
                lines.append(
                    f"    {e['account']:<16} bought {e['bought']} sold {e['sold']}  paid "
                    f"{cash(e['paid'])} received {cash(e['received'])}"
                )
            shares = sum(e["shares"] for e in of_day)
            total = sum(e["cash"] for e in of_day)
            verdict = "net to zero" if shares == 0 and total == 0 else "DO NOT NET TO ZERO"
            lines.append(f"  check: shares {shares:+d}, cash {cash(total)}: {verdict}")
    return "\n".join(lines) + "\n"
