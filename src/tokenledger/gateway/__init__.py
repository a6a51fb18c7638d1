"""The gateway face: an HTTP server that speaks the providers' protocols and meters."""

from tokenledger.gateway._app import GatewayApp, GatewaySettings, create_app
from tokenledger.gateway._serve import serve, server_options

__all__ = ["GatewayApp", "GatewaySettings", "create_app", "serve", "server_options"]
