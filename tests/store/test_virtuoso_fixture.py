"""The test Virtuoso itself: a missing package fails loudly, a server that is too slow is stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.store import virtuoso_launcher as vt


def _servers_in(folder: Path) -> list[int]:
    """The ids of the running virtuoso-t processes whose ini file is in ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"virtuoso-t") and str(folder).encode() in b" ".join(cmdline):
            found.append(int(proc.name))
    return found


def test_a_missing_binary_fails_with_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vt, "VIRTUOSO", "virtuoso-t-not-installed")
    with pytest.raises(vt.VirtuosoError, match="virtuoso-opensource"):
        vt.start(tmp_path)


def test_a_server_that_does_not_answer_in_time_is_stopped_and_its_log_shown(tmp_path: Path) -> None:
    with pytest.raises(vt.VirtuosoError, match=r"did not answer within 0\.01 s") as caught:
        vt.start(tmp_path, timeout=0.01)
    assert "console.log" in str(caught.value) or "virtuoso.log" in str(caught.value)
    assert _servers_in(tmp_path) == []


def test_the_session_server_runs_from_its_own_folder_on_loopback(virtuoso: vt.Virtuoso) -> None:
    assert _servers_in(virtuoso.folder) == [virtuoso.process.pid]
    ini = (virtuoso.folder / "virtuoso.ini").read_text()
    assert f"ServerPort               = 127.0.0.1:{virtuoso.http_port}" in ini
    assert virtuoso.http_port not in (1111, 8890)  # never the package's own service ports
