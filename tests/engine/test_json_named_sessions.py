"""Named JSON sessions against the real gateway (fake pipeline, real sockets): every report
owed to the session is kept and numbered, and a login asking for number N gets every report
from N on, then the live ones; one connection per session; anonymous logins as before."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from engine.config import HostConfig
from engine.gateway import json_connections
from tests.engine.gateway_harness import Client, Host, gateway_host, order

PASSWORDS = {"ALPHA": "alpha-pass", "BETA": "beta-pass"}


def named_login(
    host: Host, name: str = "ALPHAJSON", first: int | None = None, *, firm: str = "ALPHA",
    password: str | None = None, source: str | None = None,
) -> tuple[Client, dict[str, Any]]:  # fmt: skip
    client = host.client(source)
    login: dict[str, Any] = {"type": "login", "firm": firm, "session": name}
    login["password"] = PASSWORDS[firm] if password is None else password
    if first is not None:
        login["from"] = first
    client.send(login)
    return client, client.read()


def sell(qty: int, client_order_id: str) -> dict[str, Any]:
    """A named session's order: no firm, no account (the session's is implied)."""
    obj = order("sell", qty, 1_000_000, firm=None, client_order_id=client_order_id)
    del obj["account"]
    return obj


def numbered(client: Client, count: int) -> list[dict[str, Any]]:
    """The next ``count`` report lines (each has its number ``n``), skipping answers."""
    out: list[dict[str, Any]] = []
    while len(out) < count:
        line = client.read()
        if "n" in line:
            out.append(line)
        else:
            assert line["type"] == "sequenced", line
    return out


def logout(client: Client) -> None:
    client.send({"type": "logout"})
    assert client.read_until(lambda line: line["type"] == "logged_out")
    assert client.is_closed()
    client.close()


def beta_buys(host: Host, qty: int, client_order_id: str) -> None:
    """BETA (an anonymous session) buys ``qty`` at 100.0000; returns once its own fill is
    read: ALPHA's side of the trade was stored in the same step of the gateway's loop."""
    beta = host.client()
    assert beta.login("BETA", "beta-pass")["type"] == "login_ok"
    beta.send(order("buy", qty, 1_000_000, firm="BETA", account="BETA-1",
                    client_order_id=client_order_id))  # fmt: skip
    fill = beta.read_until(lambda line: line.get("type") == "fill")[-1]
    assert fill["account"] == "BETA-1" and fill["fill_qty"] == qty
    logout(beta)


@pytest.fixture
def host() -> Iterator[Host]:
    with gateway_host() as running:
        yield running


def test_a_report_published_while_the_session_is_away_is_sent_when_it_asks_from_n(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_connections, "REPLAY_CHUNK", 1)  # a chunk per stored report
    alpha, ok = named_login(host)
    assert ok == {
        "type": "login_ok", "session": 1, "role": "firm", "firm": "ALPHA", "name": "ALPHAJSON",
        "from": 1, "last": 0,
    }  # fmt: skip
    alpha.send(sell(100, "s1"))
    assert alpha.read() == {"type": "sequenced", "line": 2, "seq": 18, "client_order_id": "s1"}
    (accepted,) = numbered(alpha, 1)
    assert (accepted["n"], accepted["type"], accepted["account"]) == (1, "accepted", "ALPHA-1")
    logout(alpha)

    beta_buys(host, 40, "b1")  # while ALPHAJSON is away

    alpha, ok = named_login(host, first=2)
    assert (ok["from"], ok["last"]) == (2, 2)
    (fill,) = numbered(alpha, 1)
    assert (fill["n"], fill["type"], fill["order_id"], fill["fill_qty"]) == (2, "fill", 18, 40)
    alpha.send({"type": "cancel_order", "order_id": 18})  # the session's account is implied
    (cancelled,) = numbered(alpha, 1)
    assert (cancelled["n"], cancelled["type"], cancelled["remaining_qty"]) == (3, "cancelled", 60)
    logout(alpha)

    alpha, ok = named_login(host, first=1)  # everything again, the same lines
    assert (ok["from"], ok["last"]) == (1, 3)
    assert numbered(alpha, 3) == [accepted, fill, cancelled]
    logout(alpha)

    for first in (0, None, 99):  # only what is stored from now on
        alpha, ok = named_login(host, first=first)
        assert (ok["from"], ok["last"]) == (4, 3)
        logout(alpha)
    alpha, _ = named_login(host)
    alpha.send(sell(5, "s2"))
    assert [(r["n"], r["type"]) for r in numbered(alpha, 1)] == [(4, "accepted")]
    logout(alpha)


def test_an_answer_to_a_command_sent_just_before_a_disconnect_waits_in_the_store(
    host: Host,
) -> None:
    alpha, _ = named_login(host)
    alpha.send(sell(10, "gone"))
    alpha.close()  # before any answer: the line was whole, so it is run
    while True:  # the gateway may not have seen the disconnect yet
        again, ok = named_login(host, first=1)
        if ok["type"] == "login_ok":
            break
        assert ok["code"] == "session_in_use", ok
        again.close()
    (accepted,) = numbered(again, 1)
    assert (accepted["n"], accepted["type"], accepted["client_order_id"]) == (1, "accepted", "gone")
    logout(again)


def test_a_named_session_has_one_connection_at_a_time(host: Host) -> None:
    first, ok = named_login(host)
    assert ok["type"] == "login_ok"
    second, refused = named_login(host, first=1)
    assert refused == {
        "type": "login_rejected", "code": "session_in_use",
        "text": "session ALPHAJSON is in use by another connection",
    }  # fmt: skip
    assert second.is_closed()
    second.close()
    first.send({"type": "order_status", "order_id": 1})  # the first goes on
    assert first.read()["state"] == "not_live"
    other, ok = named_login(host, "ALPHAJSON", firm="ALPHA", source="127.0.0.2")
    assert ok["code"] == "session_in_use"
    other.close()
    logout(first)
    back, ok = named_login(host)  # free again
    assert ok["type"] == "login_ok"
    logout(back)


@pytest.mark.parametrize(
    ("firm", "name", "password"),
    [
        ("ALPHA", "BETAJSON", "alpha-pass"),  # another firm's session
        ("BETA", "ALPHAJSON", "beta-pass"),
        ("ALPHA", "ALPHA1", "alpha-pass"),  # ALPHA's, but an OUCH session
        ("ALPHA", "NOPE", "alpha-pass"),
        ("ALPHA", "ALPHAJSON", "wrong"),
    ],
)
def test_a_wrong_firm_session_or_password_is_bad_credentials(
    host: Host, firm: str, name: str, password: str
) -> None:
    client, answer = named_login(host, name, 1, firm=firm, password=password)
    assert (answer["type"], answer["code"]) == ("login_rejected", "bad_credentials")
    assert answer["text"] == "login refused: bad credentials"  # whatever was wrong
    assert client.is_closed()
    client.close()


@pytest.mark.parametrize(
    "login",
    [
        {"firm": "ALPHA", "password": "alpha-pass", "from": 1},  # from without a session
        {"admin": True, "password": "admin-pass", "session": "ALPHAJSON"},
        {"firm": "ALPHA", "password": "alpha-pass", "session": ""},
        {"firm": "ALPHA", "password": "alpha-pass", "session": 7},
        {"firm": "ALPHA", "password": "alpha-pass", "session": "ALPHAJSON", "from": -1},
        {"firm": "ALPHA", "password": "alpha-pass", "session": "ALPHAJSON", "from": True},
        {"firm": "ALPHA", "password": "alpha-pass", "session": "ALPHAJSON", "from": 1.0},
        {"firm": "ALPHA", "password": "alpha-pass", "session": "ALPHAJSON", "from": 2**63},
    ],
)
def test_a_malformed_named_login_is_bad_login(host: Host, login: dict[str, Any]) -> None:
    client = host.client()
    client.send({"type": "login", **login})
    answer = client.read()
    assert (answer["type"], answer["code"], answer["line"]) == ("error", "bad_login", 1)
    assert client.is_closed()
    client.close()


def test_anonymous_sessions_get_the_firms_order_reports_live_unnumbered(host: Host) -> None:
    watcher = host.client()  # ALPHA without a session name: as before named sessions
    ok = watcher.login()
    assert ok == {"type": "login_ok", "session": 1, "role": "firm", "firm": "ALPHA"}
    alpha, _ = named_login(host)
    alpha.send(sell(100, "s1"))
    (accepted,) = numbered(alpha, 1)
    beta_buys(host, 30, "b1")
    (fill,) = numbered(alpha, 1)
    assert fill["n"] == 2 and fill["order_id"] == accepted["order_id"]
    # the anonymous session: the fill (its firm's order), not the named session's answer
    seen = watcher.read()
    assert seen == {k: v for k, v in fill.items() if k != "n"}
    logout(alpha)
    logout(watcher)


def _throttled(config: HostConfig) -> HostConfig:
    firms = tuple(
        dataclasses.replace(
            firm,
            sessions=tuple(
                dataclasses.replace(s, max_messages_per_second=2) if s.name == "ALPHAJSON" else s
                for s in firm.sessions
            ),
        )
        for firm in config.firms
    )
    return dataclasses.replace(config, firms=firms)


def test_a_named_session_over_its_message_rate_is_refused_and_stays_up() -> None:
    # one instant: every line falls in the same one-second window, however slow the machine
    with gateway_host(configure=_throttled, clock=lambda: 1) as host:
        alpha, _ = named_login(host)
        alpha.send_raw(b"".join(Client.encode(sell(1, f"t{i}")) for i in range(3)))
        answers = [alpha.read_until(lambda line: "n" not in line)[-1] for _ in range(3)]
        assert [a["type"] for a in answers] == ["sequenced", "sequenced", "error"]
        assert (answers[2]["line"], answers[2]["code"]) == (4, "throttled")
        alpha.send({"type": "order_status", "order_id": 1})  # still up, still over
        assert alpha.read_until(lambda line: "n" not in line)[-1]["code"] == "throttled"
        logout(alpha)
