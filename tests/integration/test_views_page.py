"""The views of a real host (`sequex run`): the live page in headless Chromium, and the same
state over HTTP JSON after a restart.

The browser test loads the page, trades over the JSON gateway, and waits for the ladder and
the chart to show it; it keeps a screenshot as an artifact: ``var/test-artifacts/
views-page.png`` under the repository (or ``$SEQUEX_TEST_ARTIFACTS``), whose path it prints.
Chromium and ChromeDriver are Debian's (/usr/bin/chromium, /usr/bin/chromedriver), which
``make browser`` installs before ``make test`` runs; when they are missing or do not start,
the test fails, naming what to install: it never skips.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.demo_config import demo_text
from tests.integration.test_gateway_host import ROOT, Firm, order, running_host

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: the flags that work on a headless, sandbox-less machine with no network
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1440,900",
)  # fmt: skip
#: generous: a loaded 2-core machine starts Chromium slowly
TIMEOUT_S = 60


def artifacts() -> Path:
    path = Path(os.environ.get("SEQUEX_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def host_config(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    text, endpoints = demo_text(tmp_path / "var", 1)
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path, endpoints


def get(endpoint: str, path: str) -> Any:
    host, _, port = endpoint.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, body)
        return json.loads(body)
    finally:
        conn.close()


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """Headless Chromium under ChromeDriver; fails (never skips) when it cannot start."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        assert os.access(binary, os.X_OK), (
            f"{binary} is missing: `make browser` installs Debian's chromium and "
            "chromium-driver (apt-get install -y chromium chromium-driver, as root)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        raise AssertionError(f"headless Chromium did not start: {exc}") from exc
    driver.set_page_load_timeout(TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def ladder(driver: Any) -> dict[str, list[tuple[int, int]]]:
    """The ladder's rows as (price, qty) per side, as the page shows them."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#ladder tr[data-side]')]"
        ".map(r => [r.dataset.side, +r.dataset.price, +r.dataset.qty]);"
    )
    out: dict[str, list[tuple[int, int]]] = {"bid": [], "ask": []}
    for side, price, qty in rows:
        out[side].append((price, qty))
    return out


def candles(driver: Any) -> list[tuple[int, int]]:
    """The chart's candles as (close, volume), oldest first."""
    return [
        (close, volume)
        for close, volume in driver.execute_script(
            "return [...document.querySelectorAll('#chart g.candle')]"
            ".map(g => [+g.dataset.close, +g.dataset.volume]);"
        )
    ]


def test_the_page_shows_the_ladder_and_the_chart_change_as_firms_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    config, endpoints = host_config(tmp_path)
    with running_host(config), chromium(tmp_path / "chromium-profile") as driver:
        wait = WebDriverWait(driver, TIMEOUT_S)
        driver.get(f"http://{endpoints['http']}/?symbol=ACME&interval=1s")
        wait.until(
            lambda d: d.find_element("tag name", "body").get_attribute("data-state") == "live"
        )
        assert ladder(driver) == {"bid": [], "ask": []}
        assert candles(driver) == []  # "no trades yet"

        alpha = Firm(endpoints["json"], "ALPHA", "alpha-pass")
        beta = Firm(endpoints["json"], "BETA", "beta-pass")
        alpha.send(order("ALPHA", "ALPHA-1", "buy", 100, 990_000, "day", "bid"))
        alpha.until("accepted")
        wait.until(lambda d: ladder(d)["bid"] == [(990_000, 100)])

        beta.send(order("BETA", "BETA-1", "sell", 40, 990_000, "ioc", "hit"))
        assert beta.until("fill")["fill_qty"] == 40
        wait.until(lambda d: ladder(d)["bid"] == [(990_000, 60)])
        wait.until(lambda d: candles(d) == [(990_000, 40)])
        beta.send(order("BETA", "BETA-1", "sell", 25, 1_005_000, "day", "offer"))
        beta.until("accepted")
        wait.until(lambda d: ladder(d)["ask"] == [(1_005_000, 25)])
        tape = driver.execute_script("return document.querySelectorAll('#tape tr').length;")
        assert tape == 1
        assert driver.find_element("id", "last").text == "99.00"
        shot = artifacts() / "views-page.png"
        assert driver.save_screenshot(str(shot)), "no screenshot"
        with capsys.disabled():  # shown in a quiet, captured run too
            print(f"\nviews page screenshot: {shot}")
        book = get(endpoints["http"], "/book/ACME")
        assert [(b["price"], b["qty"]) for b in book["bids"]] == [(990_000, 60)]
        alpha.close()
        beta.close()


def caught_up(endpoint: str, seq: int) -> None:
    """Wait until the views have applied command ``seq`` (they read ring[events] beside the
    gateway, which told the firm)."""
    deadline = time.monotonic() + TIMEOUT_S
    while get(endpoint, "/health")["seq"]["views"] < seq:
        assert time.monotonic() < deadline, f"the views never reached seq {seq}"
        time.sleep(0.05)


def _state(endpoint: str) -> dict[str, Any]:
    out = {"symbols": get(endpoint, "/symbols")}
    for symbol in ("ACME", "GLOBEX"):
        out[f"book {symbol}"] = get(endpoint, f"/book/{symbol}?depth=100")
        out[f"trades {symbol}"] = get(endpoint, f"/trades/{symbol}?limit=500")
        for interval in ("1s", "1m", "5m", "1h"):
            out[f"{interval} {symbol}"] = get(endpoint, f"/candles/{symbol}?interval={interval}")
    return out


def test_a_restarted_host_serves_the_same_views_and_reports_its_stages_alive(
    tmp_path: Path,
) -> None:
    config, endpoints = host_config(tmp_path)
    with running_host(config):
        alpha = Firm(endpoints["json"], "ALPHA", "alpha-pass")
        beta = Firm(endpoints["json"], "BETA", "beta-pass")
        for i in range(6):
            alpha.send(order("ALPHA", "ALPHA-1", "sell", 50, 1_000_000 + 100 * i, "day", f"a{i}"))
            alpha.until("accepted")
        beta.send(order("BETA", "BETA-1", "buy", 120, 1_000_300, "ioc", "b"))
        seq = beta.until("fill", leaves_qty=0)["seq"]  # 50 + 50 + 20: three trades
        caught_up(endpoints["http"], seq)
        health = get(endpoints["http"], "/health")
        before = _state(endpoints["http"])
        alpha.close()
        beta.close()
    assert health["status"] == "ok", health
    assert all(stage["alive"] for stage in health["stages"].values()), health
    # the feed's stage keeps the views (engine.views.host)
    assert {"journaler", "risk", "matcher0", "marketdata", "gateway"} <= set(health["stages"])
    assert "views" not in health["stages"]
    assert len(before["trades ACME"]["trades"]) == 3
    with running_host(config):
        after = _state(endpoints["http"])
    assert after == before
