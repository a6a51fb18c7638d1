"""Model lookup, prices, context windows and token counting.

Prices and context windows come from the data bundled with `genai-prices`, overridden
or completed by the config file's `[prices]`; token counts from OpenAI's tokenizers,
loaded offline, or a calibrated estimate for other families.
"""

from tokenledger.catalog._cost import Cost, CostBreakdown, CostSource
from tokenledger.catalog._encodings import EncodingFileError
from tokenledger.catalog._explain import (
    PriceExplanation,
    PriceLine,
    context_window,
    explain_price,
)
from tokenledger.catalog._lookup import PRICE_DATA_VERSION
from tokenledger.catalog._price import price_usage
from tokenledger.catalog._tokens import TokenCount, count_tokens, encoding_for_model

__all__ = [
    "PRICE_DATA_VERSION",
    "Cost",
    "CostBreakdown",
    "CostSource",
    "EncodingFileError",
    "PriceExplanation",
    "PriceLine",
    "TokenCount",
    "context_window",
    "count_tokens",
    "encoding_for_model",
    "explain_price",
    "price_usage",
]
