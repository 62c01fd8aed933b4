"""The test Virtuoso: the launcher lives in kg/store/virtuoso_launcher.py (shared with bench/run_stores.py)."""

from kg.store.virtuoso_launcher import PASSWORD, USER, Virtuoso, VirtuosoError, start

__all__ = ["PASSWORD", "USER", "Virtuoso", "VirtuosoError", "start"]
