"""Gemini `generateContent` and `streamGenerateContent`.

The model is named in the path (`/v1beta/models/{model}:generateContent`) and the
reply names the one that ran in `modelVersion`; either may carry a `models/` prefix,
which is dropped. In `usageMetadata`, `candidatesTokenCount` leaves out
`thoughtsTokenCount`, so the canonical output is their sum; the input adds
`toolUsePromptTokenCount`; `cachedContentTokenCount` is already part of
`promptTokenCount`. Audio counts come from the per-modality details lists.

A stream (`alt=sse`) carries cumulative counts in each chunk: the last chunk wins, and
a count missing from it is zero rather than the previous chunk's. Without `alt=sse`
Gemini streams one JSON array instead; that form is read whole when upstream closes,
so its counts and text appear only then.

Grounding with Google Search is counted as the number of `webSearchQueries` the reply
lists. Gemini 2.x bills a grounded prompt once however many queries it ran, so for
those models a price per search applies to `web_searches > 0`, not to the number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote

from tokenledger.errors import InvalidUsageError
from tokenledger.usage import Usage
from tokenledger.wire._base import JSON, Reading, StreamMeter, WireAdapter
from tokenledger.wire._fields import (
    as_usage_object,
    count,
    items,
    join_texts,
    loads_exact,
    string,
)
from tokenledger.wire._sse import SseStreamMeter, StreamReading

ROUTE = re.compile(r"^/v1(?:beta)?/models/([^/:]+):(generateContent|streamGenerateContent)$")

# google.rpc.Code names by HTTP status, as Google APIs send them in `error.status`.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def model_from_path(path: str) -> str | None:
    """`gemini-2.5-flash` from `/v1beta/models/gemini-2.5-flash:generateContent`."""
    match = ROUTE.match(path.split("?", 1)[0])
    return unquote(match.group(1)).removeprefix("models/") if match else None


def _modality(metadata: Mapping[str, Any], key: str, modality: str) -> int:
    value = metadata.get(key)
    if value is None:
        return 0
    if not isinstance(value, list):
        raise InvalidUsageError(f"{key} must be a list, got {type(value).__name__}")

    total = 0
    for entry in value:
        if not isinstance(entry, dict):
            raise InvalidUsageError(f"{key} holds a {type(entry).__name__}")
        if entry.get("modality") == modality:
            total += count(entry, "tokenCount")
    return total


def gemini_usage(metadata: Any, web_searches: int = 0) -> Usage:
    """Canonical counts from one `usageMetadata` object; absent counts are zero."""
    metadata = as_usage_object(metadata)
    candidates = count(metadata, "candidatesTokenCount")
    thoughts = count(metadata, "thoughtsTokenCount")
    return Usage(
        input_tokens=count(metadata, "promptTokenCount")
        + count(metadata, "toolUsePromptTokenCount"),
        output_tokens=candidates + thoughts,
        cache_read_tokens=count(metadata, "cachedContentTokenCount"),
        reasoning_tokens=thoughts,
        input_audio_tokens=_modality(metadata, "promptTokensDetails", "AUDIO")
        + _modality(metadata, "toolUsePromptTokensDetails", "AUDIO"),
        cache_audio_read_tokens=_modality(metadata, "cacheTokensDetails", "AUDIO"),
        output_audio_tokens=_modality(metadata, "candidatesTokensDetails", "AUDIO"),
        web_searches=web_searches,
    )


def _candidates_text(chunk: Mapping[str, Any]) -> str:
    """Visible text of every candidate; parts marked `thought` are reasoning, left out."""
    pieces: list[str] = []
    for candidate in items(chunk, "candidates"):
        content = candidate.get("content") if isinstance(candidate, dict) else None
        for part in items(content, "parts") if isinstance(content, dict) else []:
            if isinstance(part, dict) and not part.get("thought"):
                text = part.get("text")
                if isinstance(text, str):
                    pieces.append(text)
    return "".join(pieces)


def _search_queries(chunk: Mapping[str, Any]) -> int | None:
    """How many web searches grounding ran, or None when this chunk does not say."""
    found: int | None = None
    for candidate in items(chunk, "candidates"):
        grounding = candidate.get("groundingMetadata") if isinstance(candidate, dict) else None
        if isinstance(grounding, dict) and isinstance(grounding.get("webSearchQueries"), list):
            found = (found or 0) + len(grounding["webSearchQueries"])
    return found


def _finished(chunk: Mapping[str, Any]) -> bool:
    return any(
        isinstance(candidate, dict) and candidate.get("finishReason")
        for candidate in items(chunk, "candidates")
    )


class _ChunkReader:
    """What the two stream forms and whole replies share: reading one response chunk."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.web_searches = 0
        # The latest usageMetadata, re-read when grounding is reported after it.
        self._metadata: Any = None

    def read(self, chunk: Any) -> None:
        reading = self.reading
        if not isinstance(chunk, dict):
            reading.error = "reply chunk is not a JSON object"
            return
        if isinstance(chunk.get("error"), dict):
            reading.error = string(chunk["error"], "message") or str(chunk["error"])

        model = string(chunk, "modelVersion")
        if reading.model is None and model:
            reading.model = model.removeprefix("models/")
        if isinstance(reading, StreamReading):
            reading.add_text(_candidates_text(chunk))
        else:
            reading.text += _candidates_text(chunk)
        queries = _search_queries(chunk)
        self.web_searches = self.web_searches if queries is None else queries

        metadata = chunk.get("usageMetadata")
        if metadata is not None:
            self._read_usage(metadata)
        elif reading.usage is not None and reading.usage.web_searches != self.web_searches:
            self._read_usage(self._metadata)
        if _finished(chunk) and reading.usage is not None:
            reading.complete = True

    def _read_usage(self, metadata: Any) -> None:
        # Replace, never merge: counts are cumulative and the last chunk is the bill.
        self._metadata = metadata
        try:
            self.reading.usage = gemini_usage(metadata, self.web_searches)
        except InvalidUsageError as exc:
            self.reading.usage = None
            self.reading.error = f"malformed usageMetadata: {exc}"
            return

        tier = string(metadata, "serviceTier") if isinstance(metadata, dict) else None
        self.reading.service_tier = tier or self.reading.service_tier


class GeminiStreamMeter(SseStreamMeter):
    """Meters a `streamGenerateContent` reply in either of its two forms.

    The form is told from the first byte: `[` starts the JSON array form, anything else
    is server-sent events. Array elements are read as each one closes, so counts and
    text grow as they do in the SSE form.
    """

    def __init__(self, *, hide_usage_event: bool = False) -> None:
        super().__init__(hide_usage_event=hide_usage_event)
        self._chunks = _ChunkReader(self.reading)
        self._array: _ArrayElements | None = None
        self._form_known = False

    def feed(self, data: bytes) -> bytes:
        if not self._form_known:
            start = data.lstrip()
            if not start:
                # Leading whitespace means nothing in either form: pass it on as is.
                return data
            self._form_known = True
            if start[:1] == b"[":
                self._array = _ArrayElements()

        if self._array is None:
            return super().feed(data)
        # The array form is passed on at once; the client's SDK parses it as it grows.
        for element in self._array.feed(data):
            self._read_element(element)
        return data

    def _read_element(self, element: bytes) -> None:
        try:
            self._chunks.read(loads_exact(element))
        except ValueError as exc:
            self.reading.error = f"streamed JSON array element did not parse: {exc}"

    def finish(self) -> bytes:
        if self._array is None:
            return super().finish()
        if not self._array.closed:
            self.reading.error = "streamed JSON array ended before its closing bracket"
        return b""

    def _on_event(self, name: bytes, data: bytearray) -> bool:
        self._chunks.read(loads_exact(data))
        return False


class _ArrayElements:
    """Splits a streamed JSON array into its top-level elements as each one closes.

    It tracks only nesting and strings (with their escapes), jumping between the bytes
    that matter, so it never re-reads the part of the array already split off.
    """

    _SIGNIFICANT = re.compile(rb'["\\{}\[\]]')

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._depth = 0
        self._in_string = False
        self._escape_pending = False
        self._start: int | None = None
        self.closed = False

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        found: list[bytes] = []
        pos = self._pos
        if self._escape_pending and pos < len(buf):
            pos += 1
            self._escape_pending = False
        while (match := self._SIGNIFICANT.search(buf, pos)) is not None:
            at = match.start()
            pos = self._step(at, buf[at], found)
        self._compact(max(pos, len(buf)))
        return found

    def _step(self, at: int, byte: int, found: list[bytes]) -> int:
        """Act on one significant byte; return where to search next."""
        if self._in_string:
            if byte == 0x5C:  # a backslash: the next byte is taken as it is
                if at + 1 < len(self._buf):
                    return at + 2
                self._escape_pending = True
                return len(self._buf)
            if byte == 0x22:
                self._in_string = False
            return at + 1

        if byte == 0x22:
            self._in_string = True
        elif byte in (0x7B, 0x5B):
            self._depth += 1
            if self._depth == 2:
                self._start = at
        else:
            self._depth -= 1
            if self._depth == 1 and self._start is not None:
                found.append(bytes(self._buf[self._start : at + 1]))
                self._start = None
            self.closed = self._depth == 0
        return at + 1

    def _compact(self, scanned: int) -> None:
        # Keep only the element still open, if any: what came before is split off.
        keep = self._start if self._start is not None else scanned
        del self._buf[:keep]
        self._pos = scanned - keep
        if self._start is not None:
            self._start = 0


class GeminiAdapter(WireAdapter):
    """`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`."""

    api: ClassVar[str] = "gemini"
    protocol: ClassVar[str] = "gemini"

    def request_model(self, body: JSON, path: str) -> str | None:
        return model_from_path(path)

    def wants_stream(self, body: JSON, path: str, query: str) -> bool:
        return path.split("?", 1)[0].endswith(":streamGenerateContent")

    def read_response(self, body: JSON) -> Reading:
        reading = Reading()
        _ChunkReader(reading).read(body)
        # A whole reply is final by definition, whether or not it names a finish reason.
        reading.complete = reading.usage is not None
        return reading

    def stream_meter(self, *, hide_usage_event: bool = False) -> StreamMeter:
        # Gemini puts usage on every chunk unasked; there is no extra event to hide.
        return GeminiStreamMeter(hide_usage_event=hide_usage_event)

    def error_body(self, status: int, message: str) -> JSON:
        """`{"error": {code, message, status}}` with the google.rpc status name."""
        name = _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
        return {"error": {"code": status, "message": message, "status": name}}

    def request_text(self, body: JSON) -> str:
        """The system instruction and the text parts of every turn."""
        pieces: list[str] = []
        system = body.get("systemInstruction") or body.get("system_instruction")
        turns = [system] if isinstance(system, dict) else []
        turns += [turn for turn in items(body, "contents") if isinstance(turn, dict)]

        for turn in turns:
            for part in items(turn, "parts"):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    pieces.append(part["text"])
        return join_texts(pieces)
