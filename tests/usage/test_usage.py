"""The canonical Usage value: its meaning, its sums and what it refuses."""

from __future__ import annotations

import pytest

from tokenledger.errors import InvalidUsageError, TokenLedgerError
from tokenledger.usage import USAGE_FIELDS, Usage
from tokenledger.usage._usage import MAX_TOKENS


def test_total_is_input_plus_output_and_parts_stay_inside() -> None:
    usage = Usage(
        input_tokens=7361, cache_read_tokens=7351, output_tokens=138, reasoning_tokens=128
    )

    assert usage.total_tokens == 7361 + 138
    assert usage.anomalies == ()


def test_addition_sums_every_field_for_streams_and_retries() -> None:
    first = Usage(
        input_tokens=10, output_tokens=5, cache_write_tokens=4, cache_write_1h_tokens=1
    )
    second = Usage(input_tokens=3, output_tokens=2, reasoning_tokens=1, web_searches=2)

    total = sum([first, second])

    assert total == Usage(
        input_tokens=13,
        output_tokens=7,
        cache_write_tokens=4,
        cache_write_1h_tokens=1,
        reasoning_tokens=1,
        web_searches=2,
    )
    assert total.cache_write_5m_tokens == 3


@pytest.mark.parametrize("bad", [-1, 1.5, "12", True, None, MAX_TOKENS + 1])
@pytest.mark.parametrize("field", ["input_tokens", "output_tokens", "reasoning_tokens"])
def test_a_count_that_is_not_a_plausible_whole_number_is_refused(
    field: str, bad: object
) -> None:
    with pytest.raises(InvalidUsageError) as caught:
        Usage(**{field: bad})  # type: ignore[arg-type]

    assert field in str(caught.value)
    assert isinstance(caught.value, TokenLedgerError)


def test_counts_that_break_the_canonical_meaning_are_kept_and_flagged() -> None:
    usage = Usage(
        input_tokens=5,
        cache_read_tokens=4,
        cache_write_tokens=3,
        output_tokens=2,
        reasoning_tokens=9,
    )

    assert usage.cache_read_tokens == 4
    assert usage.reasoning_tokens == 9
    assert usage.anomalies == ("cache_exceeds_input", "reasoning_exceeds_output")


def test_as_dict_has_every_field_and_the_total() -> None:
    values = Usage(input_tokens=2, output_tokens=3).as_dict()

    assert set(values) == {*USAGE_FIELDS, "total_tokens"}
    assert values["total_tokens"] == 5
