"""Message encoding, decoding, versioning and coalescing."""

import dataclasses

import pytest

from loupe_tui import protocol as P


def all_message_types():
    return [c for c in P._REGISTRY.values()]


@pytest.mark.parametrize("cls", all_message_types(), ids=lambda c: c.__name__)
def test_every_message_round_trips(cls):
    msg = cls()
    assert P.decode(P.encode(msg)) == msg
    assert dataclasses.is_dataclass(msg) and cls.__dataclass_params__.frozen


def test_fields_survive_with_tuples():
    m = P.ApplyLabelDiff(removed=((0.0, 4.0, "NREM"),), added=((0.0, 2.0, "REM"), (2.0, 4.0, "NREM")))
    assert P.decode(P.encode(m)) == m
    s = P.LoadSession(spec={"traces": [{"path": "/x.zarr", "group": "eeg"}]})
    assert P.decode(P.encode(s)).spec == {"traces": [{"path": "/x.zarr", "group": "eeg"}]}


def test_one_line_per_message():
    assert P.encode(P.SetWindow(0, 10, 3)).count(b"\n") == 1


@pytest.mark.parametrize("line", [b"garbage", b"[1,2]", b'{"no":"type"}', b'{"type":"Nope"}',
                                  b'{"type":"SetWindow","bogus":1}', b"\xff\xfe"])
def test_bad_lines_raise_protocol_error(line):
    with pytest.raises(P.ProtocolError):
        P.decode(line)


def test_nan_is_refused_at_encode():
    with pytest.raises(ValueError):
        P.encode(P.SetCursor(float("nan")))


def test_coalesce_keeps_newest_window_and_cursor_and_every_label_diff():
    d1 = P.ApplyLabelDiff(added=((0.0, 4.0, "W"),))
    d2 = P.ApplyLabelDiff(added=((4.0, 8.0, "W"),))
    pending = [P.SetWindow(0, 10, 1), d1, P.SetCursor(1, 1), P.SetWindow(10, 20, 2), d2,
               P.SetCursor(11, 2), P.SetWindow(20, 30, 3)]
    out = P.coalesce(pending)
    assert out == [d1, d2, P.SetCursor(11, 2), P.SetWindow(20, 30, 3)]


def test_only_the_newest_frame_size_is_drawn():
    pending = [P.SetFrameSize(800, 400), P.SetWindow(0, 10, 1), P.SetFrameSize(1280, 512), P.SetFrameSize(640, 256)]
    assert P.coalesce(pending) == [P.SetWindow(0, 10, 1), P.SetFrameSize(640, 256)]


def test_versions_are_carried_in_the_handshake():
    assert P.decode(P.encode(P.Hello())).version == P.PROTOCOL_VERSION
    assert P.decode(b'{"type":"Ready","version":99}').version == 99
