"""The meter: one reply's reading, priced, becomes a usage event in the ledger.

Both faces (gateway and library) meter through here, so a reply is parsed, priced,
recorded and called back in exactly one way.
"""

from tokenledger.metering._callbacks import Callbacks, UsageCallback, fire_async, fire_sync
from tokenledger.metering._meter import Meter, MeteredRequest, log_event

__all__ = [
    "Callbacks",
    "Meter",
    "MeteredRequest",
    "UsageCallback",
    "fire_async",
    "fire_sync",
    "log_event",
]
