"""Server-sent events, framed as the bytes arrive, for the stream meters.

The framer follows the WHATWG event-stream rules that matter here: lines end in
`\\r\\n`, `\\n` or `\\r`; a blank line ends an event; `data:` lines of one event are
joined with `\\n`; lines starting with `:` are comments. Each byte is looked at once:
the scan resumes where the previous `feed` stopped, and only the unfinished event is
kept between calls.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any

from tokenledger.wire._base import Reading, StreamMeter

logger = logging.getLogger("tokenledger.wire")

_LINE_END = re.compile(rb"\r\n|\r|\n")
_CR = 13


class StreamReading(Reading):
    """A `Reading` whose text grows piece by piece and is joined only when read.

    Appending to one long string would copy the whole text on every event, which grows
    to tens of microseconds per event in a long reply. Reading `text` joins the pieces;
    `new_text` hands on only what came since the caller last looked, so following a
    stream as it grows costs time in proportion to the new text alone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pieces: list[str] = []
        super().__init__(*args, **kwargs)

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    @text.setter
    def text(self, value: str) -> None:
        self._pieces = [value] if value else []

    def add_text(self, piece: str) -> None:
        if piece:
            self._pieces.append(piece)

    def new_text(self, cursor: int) -> tuple[str, int]:
        # Here the cursor counts pieces, not characters.
        pieces = self._pieces
        return "".join(pieces[cursor:]), len(pieces)


class SseStreamMeter(StreamMeter):
    """A `StreamMeter` for APIs that stream server-sent events.

    Subclasses read one event at a time in `_on_event` and say whether its bytes must
    be held back from the client (only the usage-only event we asked for ourselves).
    """

    reading: StreamReading

    def __init__(self, *, hide_usage_event: bool = False) -> None:
        self.reading = StreamReading()
        self.hide_usage_event = hide_usage_event
        self._buf = bytearray()
        # Where the next line starts, where the event being read started, and how far
        # the buffer is known to hold no line end (so a long line is searched once).
        self._pos = 0
        self._start = 0
        self._seek = 0
        self._name = b""
        self._data: list[bytearray] = []
        # Until a carriage return is seen, a plain search for "\n" finds every line end.
        self._cr_seen = False

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""

        if not self._cr_seen and b"\r" in data:
            self._cr_seen = True
        self._buf += data
        return self._drain(final=False)

    def finish(self) -> bytes:
        forwarded = self._drain(final=True)

        # Be lenient at the end: a last line or event without its terminator is still
        # read, because it may carry the usage, and its bytes still reach the client.
        buf = self._buf
        if self._pos < len(buf):
            self._field(self._pos, len(buf))
            self._pos = len(buf)
        hidden = self._dispatch()
        tail = b"" if hidden else bytes(buf[self._start :])

        buf.clear()
        self._pos = self._start = self._seek = 0
        self._on_finish()
        return forwarded + tail

    def _drain(self, *, final: bool) -> bytes:
        """Read every complete line, dispatch complete events, return what to forward."""
        buf = self._buf
        kept: list[bytearray] = []
        keep_from = 0

        while True:
            end, after = self._next_line_end(final)
            if end < 0:
                break
            if end > self._pos:
                self._field(self._pos, end)
                self._pos = after
                continue

            self._pos = after
            if self._dispatch():
                kept.append(buf[keep_from : self._start])
                keep_from = after
            self._start = after

        kept.append(buf[keep_from : self._start])
        del buf[: self._start]
        self._pos -= self._start
        self._seek -= self._start
        self._start = 0
        return b"".join(kept)

    def _next_line_end(self, final: bool) -> tuple[int, int]:
        """Where the next line ends and the one after it starts; (-1, -1) if not yet."""
        buf = self._buf
        seek = max(self._seek, self._pos)
        if not self._cr_seen:
            end = buf.find(b"\n", seek)
            self._seek = len(buf) if end < 0 else end + 1
            return (end, end + 1) if end >= 0 else (-1, -1)

        match = _LINE_END.search(buf, seek)
        if match is None:
            self._seek = len(buf)
            return -1, -1
        end, after = match.span()
        # A "\r" that ends the buffer may be the first half of "\r\n": wait for more.
        if after == len(buf) and buf[end] == _CR and after - end == 1 and not final:
            self._seek = end
            return -1, -1
        self._seek = after
        return end, after

    def _field(self, start: int, end: int) -> None:
        buf = self._buf
        if buf.startswith(b"data:", start, end):
            value_at = start + 6 if end > start + 5 and buf[start + 5] == 0x20 else start + 5
            self._data.append(buf[value_at:end])
        elif buf.startswith(b"event:", start, end):
            self._name = bytes(buf[start + 6 : end]).strip()
        elif end - start == 4 and buf.startswith(b"data", start, end):
            self._data.append(bytearray())

    def _dispatch(self) -> bool:
        """Hand the finished event to the subclass; True means hold its bytes back."""
        name, data = self._name, self._data
        self._name = b""
        if not data:
            # Comments and empty blocks carry nothing to read; the spec drops them too.
            return False

        self._data = []
        payload = data[0] if len(data) == 1 else bytearray(b"\n".join(data))
        try:
            return self._on_event(name, payload)
        except Exception as exc:
            # A provider event we cannot read must never break the client's stream:
            # the bytes still go through and the reading says what went wrong.
            self.reading.error = f"unreadable {name.decode(errors='replace')!s} event: {exc}"
            logger.warning("unreadable stream event (%s)", type(exc).__name__)
            return False

    @abstractmethod
    def _on_event(self, name: bytes, data: bytearray) -> bool:
        """Read one event; return True to hold its bytes back from the client."""

    def _on_finish(self) -> None:
        """Called once after upstream closed and the last event was read."""

    def _saw_model(self, name: Any) -> None:
        # The first non-empty name wins: Azure's first chunk names "" before the model.
        if self.reading.model is None and isinstance(name, str) and name:
            self.reading.model = name
