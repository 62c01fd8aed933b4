"""Browser tests of the web interface: Playwright driving Debian's headless Chromium (see conftest.py)."""
