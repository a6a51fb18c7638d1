"""tokenledger: exact token counts and Decimal costs for LLM traffic."""

from tokenledger.usage import Usage

__all__ = ["Usage"]
