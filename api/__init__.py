"""chipgraph's HTTP service: create_app(settings) builds it; nothing runs at import time."""

from api.app import create_app

__all__ = ["create_app"]
