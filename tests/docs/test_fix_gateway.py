"""docs/fix-gateway.md: the sizes it quotes are the code's."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gateway import fix_files, fix_outbox

DOC = " ".join(
    (Path(__file__).resolve().parents[2] / "docs" / "fix-gateway.md").read_text().split()
)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (fix_outbox.REPORT_BATCH, "Reports go 2,000 at a time"),
        (fix_outbox.RESEND_BATCH, "a resend goes 2,000 MsgSeqNums at a time"),
        (fix_outbox.PART_BYTES // 1024 // 1024, "less than 1 MiB waits"),
        (fix_outbox.WRITE_LIMIT // 1024 // 1024, "the 16 MiB at which"),
        (fix_files.DEFAULT_CAPACITY // 2, "the last 50,000 to 100,000 application messages"),
        (fix_files.DEFAULT_CAPACITY, "the last 50,000 to 100,000 application messages"),
    ],
)
def test_a_size_the_doc_quotes_is_the_codes(value: int, phrase: str) -> None:
    assert phrase in DOC
    assert f"{value:,}" in phrase or f"{value} MiB" in phrase
