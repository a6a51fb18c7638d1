"""Configuration: the upstreams the gateway forwards to and the prices a user adds.

Everything comes from the environment and one optional TOML file; see
`docs/config.example.toml` for a documented example.
"""

from tokenledger.config._config import Config
from tokenledger.config._load import CONFIG_ENV, load_config
from tokenledger.config._prices import ConfigPrice
from tokenledger.config._upstream import PROTOCOLS, Protocol, Upstream

__all__ = [
    "CONFIG_ENV",
    "PROTOCOLS",
    "Config",
    "ConfigPrice",
    "Protocol",
    "Upstream",
    "load_config",
]
