"""chipgraph's domain core: store, build, inference, named queries and the command line."""

__version__ = "0.1.0"
