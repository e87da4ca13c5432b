"""The README's `sequex.client` example runs as written against a live gateway (its port
swapped for the test gateway's), and the client resumes after a dropped connection."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from sequex.client import OrderRejected, OuchClient
from tests.engine.gateway_harness import Host, gateway_host

README = Path(__file__).resolve().parents[1] / "README.md"
(EXAMPLE,) = re.findall(r"```python client\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_client_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with gateway_host() as host:
        address = host.server.ouch_address
        assert address is not None and "9879" in EXAMPLE
        exec(compile(EXAMPLE.replace("9879", str(address[1])), "README client", "exec"), {})
        out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("order ") and "acknowledged as seq_no" in out[0]
    assert out[1:] == ["replaced", "canceled"]


async def _trade_and_resume(host: Host) -> None:
    address = host.server.ouch_address
    assert address is not None
    alpha = await OuchClient.connect(*address, "ALPHA1", "alpha-pass")
    beta = await OuchClient.connect(*address, "BETA1", "beta-pass")
    ack = await alpha.new_order("ACME", "buy", 100, 1_000_000)
    assert ack.order_id == ack.seq_no
    with pytest.raises(OrderRejected) as refused:
        await alpha.new_order("ACME", "buy", 10, 1_000_001)  # off tick
    assert refused.value.reason == "X"
    assert alpha._writer is not None
    alpha._writer.transport.abort()  # the connection drops...
    await beta.new_order("ACME", "sell", 30, 1_000_000)  # ...while the bid trades
    seen = []
    async for report in alpha.reports():  # resumed: the fill arrives, once
        seen.append((report.number, report.kind))
        if report.kind == "executed":
            break
    assert seen == [(1, "accepted"), (2, "rejected"), (3, "executed")]
    assert await alpha.cancel(ack.order_id) == "canceled"
    assert await alpha.cancel(ack.order_id) == "not live"  # it ended: nothing is sent
    await alpha.close()
    await beta.close()


def test_the_client_resumes_after_a_dropped_connection() -> None:
    with gateway_host() as host:
        asyncio.run(asyncio.wait_for(_trade_and_resume(host), 30))
