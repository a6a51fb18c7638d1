"""The server-sent events framer under the meters: line ends, splits, multi-line data."""

from __future__ import annotations

import time

import pytest

from tokenledger.wire import SseStreamMeter


class Recorder(SseStreamMeter):
    """Keeps every event; holds back those whose data is `hide`."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[bytes, bytes]] = []

    def _on_event(self, name: bytes, data: bytearray) -> bool:
        self.events.append((name, bytes(data)))
        return bytes(data) == b"hide"


class Broken(SseStreamMeter):
    def _on_event(self, name: bytes, data: bytearray) -> bool:
        raise KeyError("surprise")


def run(meter: SseStreamMeter, body: bytes, size: int) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(meter.feed(piece) for piece in pieces) + meter.finish()


STREAM = (
    b"event: one\n"
    b"data: first\n"
    b"\n"
    b": a comment, ignored\n"
    b"\n"
    b"data: line 1\n"
    b"data:line 2\n"
    b"id: 7\n"
    b"\n"
    b"data\n"
    b"\n"
)
EVENTS = [(b"one", b"first"), (b"", b"line 1\nline 2"), (b"", b"")]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_events_are_framed_across_any_split_and_line_ending(ending: bytes, size: int) -> None:
    body = STREAM.replace(b"\n", ending)
    meter = Recorder()

    assert run(meter, body, size) == body
    assert meter.events == EVENTS


def test_mixed_line_endings_in_one_stream() -> None:
    body = b"data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n"
    meter = Recorder()

    assert run(meter, body, 1) == body
    assert [data for _, data in meter.events] == [b"a", b"b", b"c", b"d"]


def test_only_complete_events_are_forwarded() -> None:
    meter = Recorder()

    assert meter.feed(b"data: one\n\ndata: tw") == b"data: one\n\n"
    assert meter.feed(b"o\n") == b""
    assert meter.feed(b"\n") == b"data: two\n\n"
    assert meter.finish() == b""


def test_a_held_back_event_is_removed_exactly() -> None:
    body = b"data: a\n\ndata: hide\n\ndata: b\n\n"
    meter = Recorder()

    assert run(meter, body, 3) == b"data: a\n\ndata: b\n\n"


def test_a_last_event_without_its_blank_line_is_still_read_and_forwarded() -> None:
    meter = Recorder()

    forwarded = meter.feed(b"data: a\n\ndata: last")
    forwarded += meter.finish()

    assert forwarded == b"data: a\n\ndata: last"
    assert [data for _, data in meter.events] == [b"a", b"last"]


def test_a_trailing_carriage_return_waits_for_a_possible_line_feed() -> None:
    meter = Recorder()

    assert meter.feed(b"data: a\r\n\r") == b""
    assert meter.feed(b"\n") == b"data: a\r\n\r\n"
    assert meter.events == [(b"", b"a")]


def test_an_unreadable_event_is_recorded_and_still_forwarded() -> None:
    meter = Broken()

    assert run(meter, b"data: x\n\n", 1) == b"data: x\n\n"
    assert meter.reading.error is not None
    assert meter.reading.usage is None


def test_a_long_event_fed_byte_by_byte_is_not_rescanned() -> None:
    # Quadratic rescanning of a 400 kB event would take many seconds.
    body = b"data: " + b"x" * 400_000 + b"\r\n\r\n"
    meter = Recorder()

    started = time.perf_counter()
    forwarded = run(meter, body, 1)

    assert time.perf_counter() - started < 5
    assert forwarded == body
    assert meter.events == [(b"", b"x" * 400_000)]
