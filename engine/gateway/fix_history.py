"""What a FIX session can send again: its message store, and behind it its report store.

The message store (``engine.gateway.fix_files.FileMessageStore``) keeps the last 50,000 to
100,000 application messages sent; a ResendRequest for anything older used to become a
SequenceReset-GapFill, even where the message was an ExecutionReport the session's report
store still holds. :class:`ReportHistory` is the
``engine.protocols.fix.store.OutboundStore`` a session is given instead: for a MsgSeqNum the
message store no longer has, it looks the number up in the session's report index
(``reports.index``: MsgSeqNum -> report number, first SendingTime) and renders that report
again (``engine.gateway.fix_render``, a pure function of the report: the same body as the
first time). The session then resends it like any stored message: its MsgSeqNum,
PossDupFlag(43)=Y, OrigSendingTime(122) = the first SendingTime. Only what the gateway
answered itself (refusals, order status answers) and session-level messages still become
gap fills once the message store has forgotten them.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.gateway.fix_files import FileMessageStore, ReportIndex
from engine.gateway.fix_render import render
from engine.gateway.report_store import ReportStore
from engine.protocols.fix.store import StoredMessage
from engine.protocols.fix.timestamps import format_utc_timestamp

__all__ = ["ReportHistory"]


class ReportHistory:
    """A session's :class:`~engine.protocols.fix.store.OutboundStore`: the message store,
    completed from the report store through the report index (see the module docstring)."""

    def __init__(self, messages: FileMessageStore, index: ReportIndex, reports: ReportStore):
        self._messages = messages
        self._index = index
        self._reports = reports

    def save(self, message: StoredMessage) -> None:
        self._messages.save(message)

    def save_run(
        self, first_seq: int, msg_type: str, sending_time: str, bodies: list[bytes]
    ) -> None:
        """A run of encoded messages (``Outbound.send_encoded_run``) into the message store."""
        self._messages.save_run(first_seq, msg_type, sending_time, bodies)

    def messages(self, from_seq: int, to_seq: int) -> Sequence[StoredMessage]:
        kept = list(self._messages.messages(from_seq, to_seq))
        if len(kept) > to_seq - from_seq:
            return kept  # every number is kept (the usual resend: a recent one)
        have = {m.seq for m in kept}
        missing = [e for e in self._index.between(from_seq, to_seq) if e[0] not in have]
        if not missing:
            return kept
        # reports go out in store order, so the numbers of a range of MsgSeqNums are a range
        low = min(number for _, number, _ in missing)
        high = max(number for _, number, _ in missing)
        reports = self._reports.read(low, high)
        for seq, number, sent_ns in missing:
            if number - low < len(reports):
                message = render(reports[number - low])
                when = format_utc_timestamp(sent_ns)
                kept.append(StoredMessage(seq, str(message.msg_type), message.body, when))
        return kept

    def reset(self) -> None:
        """ResetSeqNumFlag=Y: the numbers start again at 1, so the old ones map to nothing."""
        self._messages.reset()
        self._index.reset()
