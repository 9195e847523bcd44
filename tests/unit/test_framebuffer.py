"""The frame buffer file (loupe_tui/framebuffer.py): layout, privacy, and no torn frame across processes."""

from __future__ import annotations

import multiprocessing as mp
import os
import stat
import time

import numpy as np
import pytest

from loupe_tui.framebuffer import FrameReader, FrameWriter, file_size, private_folder


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "session"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o700)
    return d


def frame(seq: int, w: int = 64, h: int = 48, ch: int = 3) -> np.ndarray:
    return np.full((h, w, ch), seq % 256, np.uint8)


def test_a_frame_comes_back_with_its_seq_and_size(folder):
    path = folder / "frames"
    with FrameWriter(path, 320, 200) as w, FrameReader(path) as r:
        assert r.read() is None and not r.changed()
        rgb = np.random.default_rng(0).integers(0, 256, (120, 200, 3), dtype=np.uint8)
        w.write(rgb, seq=7)
        assert r.changed()
        seq, pixels = r.read()
        assert seq == 7 and pixels.shape == (120, 200, 3) and np.array_equal(pixels, rgb)
        assert not pixels.flags.writeable and not r.changed() and r.intact()
        w.write(frame(8, 320, 200), seq=8)           # another size: the newest wins
        seq, pixels = r.read(copy=True)
        assert seq == 8 and pixels.shape == (200, 320, 3) and (pixels == 8).all() and pixels.flags.writeable
    assert path.stat().st_size == file_size(320, 200)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_reader_knows_when_a_bigger_file_took_its_place(folder):
    # The window outgrew its file (the terminal got bigger): it writes a new one at the same path.
    path = folder / "frames"
    with FrameWriter(path, 32, 16) as w, FrameReader(path) as r:
        w.write(frame(1, 32, 16), 1)
        assert r.read()[0] == 1 and not r.replaced()
        with FrameWriter(path, 64, 48) as bigger:
            bigger.write(frame(2, 64, 48), 2)
            assert r.replaced() and not r.changed(), "the old mapping never sees the new frames"
            with FrameReader(path) as again:
                seq, pixels = again.read()
                assert seq == 2 and pixels.shape == (48, 64, 3) and not again.replaced()
    path.unlink()
    assert r.replaced(), "a file that is gone is not the one mapped either"


def test_a_view_is_whole_until_the_writer_comes_round_to_its_slot(folder):
    path = folder / "frames"
    with FrameWriter(path, 16, 16) as w, FrameReader(path) as r:
        w.write(frame(1, 16, 16), 1)
        _, view = r.read()
        w.write(frame(2, 16, 16), 2)
        w.write(frame(3, 16, 16), 3)
        assert r.intact() and (view == 1).all()       # three slots: two more frames leave it alone
        w.write(frame(4, 16, 16), 4)
        assert not r.intact()                          # ... the third reuses it: read again


def test_rgba_and_bad_frames(folder):
    path = folder / "frames"
    with FrameWriter(path, 8, 8, channels=4) as w, FrameReader(path) as r:
        w.write(frame(5, 8, 4, ch=4), 5)
        assert r.read()[1].shape == (4, 8, 4)
        with pytest.raises(ValueError, match="does not fit"):
            w.write(frame(1, 9, 8, ch=4), 1)
        with pytest.raises(ValueError, match="uint8"):
            w.write(frame(1, 8, 8, ch=3), 1)


def test_the_folder_must_be_private(tmp_path):
    open_dir = tmp_path / "shared"
    open_dir.mkdir()
    os.chmod(open_dir, 0o755)
    with pytest.raises(PermissionError, match="private"):
        FrameWriter(open_dir / "frames", 8, 8)
    d = private_folder()
    try:
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        FrameWriter(d / "frames", 8, 8).close()
    finally:
        for p in d.iterdir():
            p.unlink()
        d.rmdir()


def test_not_a_frame_buffer(folder):
    p = folder / "junk"
    p.write_bytes(b"x" * 100)
    with pytest.raises(ValueError, match="not a loupe frame buffer"):
        FrameReader(p)


def _write_many(path: str, n: int, w: int, h: int, started) -> None:
    with FrameWriter(path, w, h) as fw:
        started.set()
        for seq in range(1, n + 1):
            fw.write(np.full((h, w, 3), seq % 251, np.uint8), seq)


def test_a_reader_in_another_process_never_sees_a_torn_frame(folder):
    """A writer process publishes frames whose every pixel equals seq % 251 as fast as it can;
    this process reads (copying, and through views checked with intact) all the while. A reader
    that skipped the seqlock would see torn frames here (views used for a millisecond are lapped)."""
    path = folder / "frames"
    w, h, n = 320, 240, 3000
    FrameWriter(path, w, h).close()                    # the file exists before the reader opens it
    ctx = mp.get_context("spawn")
    started = ctx.Event()
    proc = ctx.Process(target=_write_many, args=(str(path), n, w, h, started))
    proc.start()
    try:
        assert started.wait(60)
        reader = FrameReader(path)
        seen, last, views_checked = 0, 0, 0
        deadline = time.monotonic() + 60
        while proc.is_alive() or reader.changed():
            assert time.monotonic() < deadline
            got = reader.read(copy=True)
            if got is None:
                continue
            seq, pixels = got
            assert seq >= last, "frames go forward"
            assert (pixels == seq % 251).all(), f"torn frame {seq}: values {np.unique(pixels)[:5]}"
            seen += seq != last
            last = seq
            got = reader.read()                        # a view: whole if still intact after use
            if got is not None:
                seq, view = got
                time.sleep(0.001)                      # as long as encoding takes: the writer may lap
                ok = bool((view == seq % 251).all())
                if reader.intact():
                    assert ok, f"intact() vouched for a torn view of frame {seq}"
                    views_checked += 1
        proc.join(30)
        assert proc.exitcode == 0
        assert last == n and seen > 10, (last, seen)
        assert views_checked > 0
        reader.close()
    finally:
        if proc.is_alive():
            proc.kill()
