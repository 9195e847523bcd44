"""The private Xvfb stays usable while clients come and go (the GL tests and snapshot rely on it)."""

import ctypes
import ctypes.util
import socket
import time

import pytest

from loupe_tui.xvfb import Xvfb, XvfbError, have_xvfb
from gl_harness import in_ci


@pytest.mark.skipif(not have_xvfb() and not in_ci(), reason="needs Xvfb")
def test_a_client_connecting_right_after_the_last_one_left_always_gets_the_display():
    # Xvfb resets when its last client disconnects unless told not to; a client
    # that connects during the reset fails with "Failed to open display".
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    try:
        xv = Xvfb(size=(320, 240)).__enter__()
    except XvfbError as exc:
        pytest.fail(f"Xvfb did not start: {exc}")
    try:
        number = xv.display.lstrip(":")
        for _ in range(40):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(f"/tmp/.X11-unix/X{number}")
            dpy = x11.XOpenDisplay(xv.display.encode())
            assert dpy, f"could not open {xv.display} right after a client left"
            x11.XCloseDisplay(dpy)
    finally:
        xv.stop()


@pytest.mark.skipif(not have_xvfb() and not in_ci(), reason="needs Xvfb")
def test_a_lingering_xvfb_outlives_a_gap_between_clients_then_exits_by_itself():
    # What the offscreen window for terminal graphics runs on: if the scorer is killed (an SSH
    # hang-up), the window exits and its Xvfb follows once it has had no client for `linger` s.
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    try:
        xv = Xvfb(size=(320, 240), linger=1).__enter__()
    except XvfbError as exc:
        pytest.fail(f"Xvfb did not start: {exc}")
    try:
        time.sleep(0.5)                                # within the linger after the start-up probe
        dpy = x11.XOpenDisplay(xv.display.encode())
        assert dpy, f"could not open {xv.display}"
        time.sleep(1.5)                                # a client holds it past the linger
        assert xv.running
        x11.XCloseDisplay(dpy)
        end = time.monotonic() + 5
        while xv.running and time.monotonic() < end:
            time.sleep(0.1)
        assert not xv.running, "no client for a second: the server exited by itself"
    finally:
        xv.stop()
