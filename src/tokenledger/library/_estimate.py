"""Running counts for a streamed reply: an estimate until the provider's arrive.

The output estimate grows by the count of each new piece of text, so no text is
tokenized twice; summing the pieces' counts can differ by a token or so from counting
the whole text, which is within what an estimate promises. Counts shown never go down
while estimated. The provider's final counts then replace the estimate, and in the
rare case that they are lower than it the last chunk's count is lower too: the
provider's number is the bill.
"""

from __future__ import annotations

from tokenledger.catalog import count_tokens
from tokenledger.library._message import Chunk
from tokenledger.wire import Reading


class RunningCount:
    def __init__(self, model: str, input_estimate: int) -> None:
        self.model = model
        self.input_estimate = input_estimate
        self._output_estimate = 0
        self._cursor = 0
        self._last: tuple[int, int, bool] = (0, 0, True)

    def chunk(self, reading: Reading) -> Chunk | None:
        """The chunk to hand on after `reading` grew; None when nothing changed."""
        new, self._cursor = reading.new_text(self._cursor)
        if new:
            self._output_estimate += count_tokens(new, self.model).tokens

        counts = self._counts(reading)
        if not new and counts == self._last:
            return None
        self._last = counts
        return Chunk(new, counts[0], counts[1], counts[2])

    def _counts(self, reading: Reading) -> tuple[int, int, bool]:
        usage = reading.usage
        if reading.complete and usage is not None:
            return usage.input_tokens, usage.output_tokens, False

        # A provider's partial counts (Anthropic's message_start, Gemini's running
        # usageMetadata) beat our guess where they are larger.
        input_tokens = (
            usage.input_tokens if usage and usage.input_tokens else self.input_estimate
        )
        partial_output = usage.output_tokens if usage else 0
        output_tokens = max(self._output_estimate, partial_output, self._last[1])
        return input_tokens, output_tokens, True
