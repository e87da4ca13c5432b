"""`order_status` over the JSON gateway: a firm sees its live order's fills, another firm's
order (or an ended one) is `not_live` in the same words, and bad queries say why."""

from __future__ import annotations

from engine.gateway.order_status import average_price
from tests.engine.gateway_harness import gateway_host, order


def test_a_firm_sees_what_its_order_traded_while_it_was_away() -> None:
    with gateway_host() as host:
        alpha = host.client()
        assert alpha.login()["type"] == "login_ok"
        alpha.send(order("buy", 100, 1_000_000, client_order_id="bid-1"))
        accepted = alpha.read_until(lambda line: line.get("type") == "accepted")[-1]
        order_id = accepted["order_id"]
        alpha.close()  # away
        beta = host.client()
        assert beta.login("BETA", "beta-pass")["type"] == "login_ok"
        beta.send(order("sell", 30, 999_900, firm="BETA", account="BETA-1", client_order_id="s"))
        beta.read_until(lambda line: line.get("type") == "fill")
        back = host.client()
        assert back.login()["type"] == "login_ok"
        back.send({"type": "order_status", "order_id": order_id})
        status = back.read_until(lambda line: line.get("type") == "order_status")[-1]
        assert status == {
            "type": "order_status", "line": 2, "order_id": order_id, "state": "live",
            "symbol": "ACME", "side": "buy", "qty": 100, "price": 1_000_000, "leaves_qty": 70,
            "cum_qty": 30, "avg_price": "1000000", "client_order_id": "bid-1",
        }  # fmt: skip
        beta.send({"type": "order_status", "order_id": order_id})  # ALPHA's: not for BETA
        theirs = beta.read_until(lambda line: line.get("type") == "order_status")[-1]
        beta.send({"type": "order_status", "order_id": 999_999})
        unknown = beta.read_until(lambda line: line.get("type") == "order_status")[-1]
        assert theirs["state"] == unknown["state"] == "not_live"
        assert set(theirs) == set(unknown)  # the same shape: existence does not leak
        beta.send({"type": "order_status", "order_id": "x"})
        error = beta.read_until(lambda line: line.get("type") == "error")[-1]
        assert error["code"] == "bad_command" and "order_id" in error["text"]
        back.close()
        beta.close()


def test_the_average_price_is_exact() -> None:
    assert average_price(0, 0) == "0"
    assert average_price(30 * 1_000_000, 30) == "1000000"
    assert average_price(1_000_000 + 999_900 * 2, 3) == "999933.33333333"
