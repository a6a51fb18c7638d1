"""The canonical token usage of one request: one meaning for every provider."""

from tokenledger.usage._usage import USAGE_FIELDS, Usage

__all__ = ["USAGE_FIELDS", "Usage"]
