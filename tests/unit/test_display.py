"""Telling a forwarded X display from a local one (issue 11): the remote one gets a window that fits the link."""

from __future__ import annotations

import pytest

from loupe_tui.display import LOCAL_SIZE, REMOTE_SIZE, describe_display, remote_hint


@pytest.mark.parametrize("display,remote", [
    (":0", False), (":1.0", False), ("unix:0", False), ("/private/tmp/com.apple.launchd.x/org.xquartz:0", False),
    ("localhost:0", False), ("localhost:10.0", True), ("127.0.0.1:11", True), ("lab-pc:0", True),
    ("lab-pc.example.org:0.0", True), ("10.0.0.5:1", True)])
def test_forwarded_and_other_hosts_are_remote(display, remote):
    info = describe_display({"DISPLAY": display})
    assert info.remote is remote and info.name == display
    assert info.default_size == (REMOTE_SIZE if remote else LOCAL_SIZE)


def test_no_display_and_wayland():
    assert describe_display({}) is None
    assert describe_display({"WAYLAND_DISPLAY": "wayland-0"}).remote is False


def test_the_remote_size_wastes_no_padded_rows_and_the_hint_names_ssh_compression():
    assert REMOTE_SIZE[1] % 64 == 0 and REMOTE_SIZE[0] * REMOTE_SIZE[1] < LOCAL_SIZE[0] * LOCAL_SIZE[1] / 2
    hint = remote_hint(describe_display({"DISPLAY": "localhost:10.0"}), REMOTE_SIZE)
    assert "localhost:10.0" in hint and "ssh -C" in hint and "1024x576" in hint
