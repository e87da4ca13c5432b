"""The JSON gateway, tidied: one shape for the firm commands, client order ids on cancel and
replace, huge integers and huge values refused with short texts, and another firm's order told
as an unknown one. End to end over loopback sockets with a fake pipeline (gateway_harness)."""

from __future__ import annotations

from typing import Any

from engine.domain.types import Rejected, RejectReason
from tests.engine.gateway_harness import Client, Host, gateway_host, order


def _enter(client: Client, obj: dict[str, Any]) -> int:
    """Send a new order; its order id once accepted."""
    client.send(obj)
    sequenced = client.read()
    assert sequenced["type"] == "sequenced", sequenced
    accepted = client.read()
    assert accepted["type"] == "accepted", accepted
    return int(accepted["order_id"])


def _answer(client: Client, obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send a command; its sequenced line and the report that answers it."""
    client.send(obj)
    sequenced = client.read()
    assert sequenced["type"] == "sequenced", sequenced
    return sequenced, client.read()


def _logged_in(host: Host, firm: str = "ALPHA") -> Client:
    client = host.client()
    assert client.login(firm, f"{firm.lower()}-pass")["type"] == "login_ok"
    return client


def test_firm_is_optional_on_the_three_firm_commands() -> None:
    with gateway_host() as host:
        alpha = _logged_in(host)
        order_id = _enter(alpha, order("sell", 5, 1_000_000, firm=None))
        replace = {"type": "replace_order", "account": "ALPHA-1", "order_id": order_id}
        _, replaced = _answer(alpha, {**replace, "qty": 4, "price": 1_000_000})
        assert replaced["type"] == "replaced"
        cancel = {"type": "cancel_order", "account": "ALPHA-1", "order_id": order_id}
        _, cancelled = _answer(alpha, {**cancel, "firm": "ALPHA"})
        assert cancelled["type"] == "cancelled"
        alpha.send({**cancel, "firm": "BETA"})
        assert alpha.read()["code"] == "wrong_firm"
        alpha.close()


def test_sequenced_echoes_the_client_order_id_of_every_firm_command() -> None:
    with gateway_host() as host:
        alpha = _logged_in(host)
        alpha.send(order("sell", 5, 1_000_000, client_order_id="n1"))
        sequenced = alpha.read()
        assert sequenced == {
            "type": "sequenced",
            "line": 2,
            "seq": sequenced["seq"],
            "client_order_id": "n1",
        }
        order_id = alpha.read()["order_id"]
        replace = {"type": "replace_order", "account": "ALPHA-1", "order_id": order_id}
        sequenced, _ = _answer(
            alpha, {**replace, "qty": 4, "price": 1_000_000, "client_order_id": "r1"}
        )
        assert (sequenced["line"], sequenced["client_order_id"]) == (3, "r1")
        cancel = {"type": "cancel_order", "account": "ALPHA-1", "order_id": order_id}
        sequenced, cancelled = _answer(alpha, {**cancel, "client_order_id": "k1"})
        assert (sequenced["line"], sequenced["client_order_id"]) == (4, "k1")
        assert cancelled["type"] == "cancelled"
        # without one, the key is left out
        sequenced, _ = _answer(alpha, cancel)
        assert "client_order_id" not in sequenced
        alpha.close()


def test_a_huge_price_or_qty_is_refused_naming_the_field_and_its_range() -> None:
    with gateway_host() as host:
        alpha = _logged_in(host)
        for field in ("price", "qty"):
            alpha.send({**order("buy", 1, 990_000), field: 10**30})
            reply = alpha.read()
            assert (reply["type"], reply["code"]) == ("error", "out_of_range")
            assert reply["text"] == (
                f"{field}: must be an integer from 0 to 9223372036854775807, "
                "got 1000000000000000000000000000000"
            )
        alpha.close()


def test_an_error_never_echoes_a_whole_huge_value() -> None:
    with gateway_host() as host:
        alpha = _logged_in(host)
        huge = "X" * 60_000
        for obj in (
            {**order("buy", 1, 990_000), "account": huge},
            {**order("buy", 1, 990_000), "side": huge},
            {**order("buy", 1, 990_000), huge: 1},
            {"type": "cancel_order", "account": "ALPHA-1", "order_id": 1, "client_order_id": huge},
            {"type": huge},
        ):
            alpha.send(obj)
            reply = alpha.read()
            assert reply["type"] == "error" and len(reply["text"]) < 200, reply["code"]
        alpha.send({"type": "login", "firm": "ALPHA", "password": "x", huge: 1})
        assert alpha.read()["code"] == "already_logged_in"
        alpha.close()
        fresh = host.client()
        fresh.send({"type": "login", "firm": "ALPHA", "password": "x", huge: 1})
        reply = fresh.read()
        assert reply["code"] == "bad_login" and len(reply["text"]) < 200
        fresh.close()


def test_another_firms_order_live_or_finished_is_answered_exactly_like_an_unknown_one() -> None:
    with gateway_host() as host:
        alpha, beta = _logged_in(host), _logged_in(host, "BETA")
        live = _enter(alpha, order("sell", 5, 1_000_000, client_order_id="live"))
        finished = _enter(alpha, order("sell", 5, 1_010_000, client_order_id="done"))
        cancel = {"type": "cancel_order", "account": "ALPHA-1", "order_id": finished}
        assert _answer(alpha, cancel)[1]["type"] == "cancelled"
        unknown = 10**9
        answers = {}
        for name, order_id in (("live", live), ("finished", finished), ("unknown", unknown)):
            for kind, extra in (
                ("cancel_order", {}),
                ("replace_order", {"qty": 1, "price": 1_000_000}),
            ):
                obj = {"type": kind, "account": "BETA-1", "order_id": order_id, **extra}
                sequenced, rejected = _answer(beta, obj)
                # what differs is what the request itself chose: its seq and order id
                assert rejected["order_id"] == order_id
                assert rejected["seq"] == rejected["seq_no"] == sequenced["seq"]
                answers[name, kind] = {
                    k: v for k, v in rejected.items() if k not in ("seq", "seq_no", "order_id")
                }
        assert len({str(answer) for answer in answers.values()}) == 1, answers
        assert answers["unknown", "cancel_order"] == {
            "sub": 0,
            "type": "rejected",
            "account": "BETA-1",
            "client_order_id": "",
            "reason": "unknown_order",
            "text": "no live order with that id",
        }
        # the truth stays in the exchange's output (the journal's readers, the operator's tools)
        truth = [
            event.reason
            for _, events in host.pipeline.published
            for event in events
            if isinstance(event, Rejected) and event.order_id == live
        ]
        assert truth == [RejectReason.NOT_ORDER_OWNER] * 2
        # and the owner still has its live order
        _, cancelled = _answer(
            alpha, {"type": "cancel_order", "account": "ALPHA-1", "order_id": live}
        )
        assert cancelled["type"] == "cancelled"
        alpha.close()
        beta.close()
