"""Every message between the terminal app and the GL window.

Messages are frozen dataclasses, one JSON object per line on a local socket:
``{"type": "SetWindow", "t0": 0.0, "t1": 10.0, "seq": 7}``. Commands (TUI to
window) are imperative, events (window to TUI) past tense. The first message
each way is the handshake (:class:`Hello`, answered by :class:`Ready`); a peer
speaking another :data:`PROTOCOL_VERSION` is refused with a clear error.

A message whose class sets ``coalesce`` supersedes older pending messages with
the same key: under key-repeat only the newest window or cursor is drawn (see
:func:`coalesce`). Bulk data never crosses the link: both processes open the
same files; only label spans (small) and settings travel.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

PROTOCOL_VERSION = 3   # 2: PageRequested (the window asks the app to page during playback)
#                        3: SetFrameSize and ``--frames`` (frames drawn offscreen for the terminal)
#                        (SetLabelLayer and the "filters" view option were added: compatible)


class ProtocolError(Exception):
    """A line that is not a message of this protocol (or of this version)."""


_REGISTRY: dict[str, type[Message]] = {}


@dataclass(frozen=True)
class Message:
    """Base of every message. ``coalesce`` names the state a message replaces."""

    coalesce: ClassVar[str | None] = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        _REGISTRY[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["type"] = type(self).__name__
        return d


def encode(msg: Message) -> bytes:
    """One message as one line of UTF-8 JSON (NaN/inf not allowed)."""
    return json.dumps(msg.to_dict(), separators=(",", ":"), allow_nan=False).encode() + b"\n"


def decode(line: bytes | str) -> Message:
    """Parse one line back into its message.

    Raises
    ------
    ProtocolError
        Not JSON, an unknown type, or fields that do not fit the type.
    """
    try:
        d = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not a protocol message: {str(line)[:80]!r}") from exc
    if not isinstance(d, dict) or "type" not in d:
        raise ProtocolError(f"not a protocol message: {str(line)[:80]!r}")
    cls = _REGISTRY.get(d.pop("type"))
    if cls is None:
        raise ProtocolError(f"unknown message type in {str(line)[:80]!r}")
    try:
        return cls(**{k: _tuples(v) for k, v in d.items()})
    except TypeError as exc:
        raise ProtocolError(f"bad fields for {cls.__name__}: {exc}") from exc


def _tuples(v: Any) -> Any:
    # JSON has lists only; frozen dataclasses hold tuples so they stay hashable.
    if isinstance(v, list):
        return tuple(_tuples(x) for x in v)
    return v


def coalesce(pending: list[Message]) -> list[Message]:
    """Drop every coalescing message that a later one with the same key supersedes.

    Order of the rest is kept; non-coalescing messages are never dropped.
    """
    latest: dict[str, int] = {}
    for i, m in enumerate(pending):
        if m.coalesce is not None:
            latest[m.coalesce] = i
    return [m for i, m in enumerate(pending) if m.coalesce is None or latest[m.coalesce] == i]


# --------------------------------------------------------------- handshake
@dataclass(frozen=True)
class Hello(Message):
    """First message from the TUI: who it is and which protocol it speaks."""

    version: int = PROTOCOL_VERSION
    client: str = "loupe-tui"


@dataclass(frozen=True)
class Ready(Message):
    """The window's answer to :class:`Hello`: it is up, and what GL it got."""

    version: int = PROTOCOL_VERSION
    renderer: str = ""
    gl_version: str = ""
    width: int = 0
    height: int = 0
    pid: int = 0


# ---------------------------------------------------------------- commands
@dataclass(frozen=True)
class LoadSession(Message):
    """Everything the window needs to draw a recording.

    ``spec`` is a JSON-able description of the panels (sources by path, group,
    variable and config parameters; label state names and colours; videos),
    built by the TUI from its configs; the window opens the same files.
    """

    spec: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetWindow(Message):
    coalesce: ClassVar[str | None] = "window"
    t0: float = 0.0
    t1: float = 0.0
    seq: int = 0


@dataclass(frozen=True)
class SetCursor(Message):
    coalesce: ClassVar[str | None] = "cursor"
    t: float = 0.0
    seq: int = 0


@dataclass(frozen=True)
class SetSelection(Message):
    """The selection ``[t0, t1)``, or none when both are None."""

    coalesce: ClassVar[str | None] = "selection"
    t0: float | None = None
    t1: float | None = None


@dataclass(frozen=True)
class SetLabels(Message):
    """The full label state (on load and on restart): parallel arrays."""

    starts: tuple[float, ...] = ()
    ends: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplyLabelDiff(Message):
    """One edit: spans removed, then spans added, each ``(start, end, label)``."""

    removed: tuple[tuple[float, float, str], ...] = ()
    added: tuple[tuple[float, float, str], ...] = ()


@dataclass(frozen=True)
class SetLabelLayer(Message):
    """A read-only layer drawn as a thin strip under the labels, in the hypnogram's state colours:
    the scoring suggestions (``name="suggestions"``) or another scorer's labels
    (``name="compare:0"``, ``"compare:1"`` ...). ``title`` is what the strip is called
    (``"suggested"``, the other file's name). Parallel arrays: spans, their state and, for the
    suggestions, the confidence of each span (0-1; empty for other scorers), which shades it
    (runs of equal state and equal confidence, to 0.05, come merged). The full layer each time;
    empty ``starts`` with ``visible`` False removes it. The app decides what is shown (blind
    scoring sends only the epochs already scored), the window only draws.
    """

    name: str = ""
    title: str = ""
    starts: tuple[float, ...] = ()
    ends: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    confidence: tuple[float, ...] = ()
    visible: bool = True


@dataclass(frozen=True)
class SetStateColors(Message):
    """State name -> ``[R, G, B, A]`` (0-255); sent on load and when the keymap changes."""

    colors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetViewOption(Message):
    """A style or layout change: ``target`` names what (``"label_overlays"``,
    ``"hypnogram"``, ``"trace:EEG"``, ``"dense"``, ``"heatmap:0"``,
    ``"raster"``, ``"events"``, ``"video:0"`` ...), ``options`` the new values
    (``{"visible": false}``, ``{"alpha": 80}``, ``{"ymin": -1, "ymax": 1}``,
    ``{"gain": 2.0}`` ...). The window applies what it knows and reports
    anything else as an :class:`ErrorRaised`.

    Display filters: ``target="filters"``, ``options={"on": bool, "chains": {trace name: chain
    text}, "pyramids": [trace names whose filtered pyramid is built]}``; chain text is
    :func:`loupe_tui.io.filters.FilterChain.parse`'s (``"eeg, notch50"``, ``"0.3-35"``). Traces
    with a chain are drawn filtered while ``on``, named with the chain; long windows draw from the
    filtered pyramid once the app says it is built (it builds it, with progress), until then from
    the raw one, saying so.
    """

    target: str = ""
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetFocus(Message):
    """Which trace or panel keyboard Y-zoom acts on (highlighted in the window)."""

    target: str = ""


@dataclass(frozen=True)
class VideoCommand(Message):
    """``action``: ``"play"``, ``"pause"``, ``"speed"`` (value), ``"step"`` (value frames)."""

    action: str = ""
    video: int = 0
    value: float = 0.0


@dataclass(frozen=True)
class Snapshot(Message):
    """Draw now and write the frame to ``path``: PNG, or a raw ``(h, w, 3)`` uint8 ``.npy`` array (tests)."""

    path: str = ""
    seq: int = 0


@dataclass(frozen=True)
class SetFrameSize(Message):
    """Offscreen mode only (``python -m render --frames PATH``): draw frames of ``width`` x ``height``
    pixels from now on (the terminal widget that shows them changed size); coalesced."""

    coalesce: ClassVar[str | None] = "frame_size"
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Ping(Message):
    """Answered at once by :class:`Pong` with the same ``seq`` (liveness, round-trip time)."""

    seq: int = 0


@dataclass(frozen=True)
class Quit(Message):
    pass


# ------------------------------------------------------------------ events
@dataclass(frozen=True)
class FrameDrawn(Message):
    """A frame reached the screen (offscreen mode: the frame buffer file): ``seq`` of the newest
    window/cursor it shows."""

    seq: int = 0
    draw_ms: float = 0.0


@dataclass(frozen=True)
class Clicked(Message):
    t: float = 0.0
    button: int = 1
    panel: str = ""


@dataclass(frozen=True)
class Dragged(Message):
    """A mouse drag over ``[t0, t1)``; ``done`` when the button was released."""

    t0: float = 0.0
    t1: float = 0.0
    done: bool = True


@dataclass(frozen=True)
class Scrolled(Message):
    """Mouse wheel: ``steps`` (positive = forward in time) with modifier keys held,
    over ``panel`` (a :class:`SetViewOption` target such as ``"trace:EEG"`` or ``"dense"``)."""

    steps: float = 0.0
    modifiers: tuple[str, ...] = ()
    panel: str = ""


@dataclass(frozen=True)
class KeyPressed(Message):
    """A key typed in the window, in canonical notation (:mod:`loupe_tui.core.keys`)."""

    key: str = ""


@dataclass(frozen=True)
class PageRequested(Message):
    """While a video plays, the window's clock reached ``t`` outside the window.

    The window never pages itself (the terminal app owns the window): it asks,
    and the app moves its cursor to ``t``, paging as a step there would.
    """

    t: float = 0.0


@dataclass(frozen=True)
class Pong(Message):
    """The answer to :class:`Ping`."""

    seq: int = 0


@dataclass(frozen=True)
class SnapshotSaved(Message):
    path: str = ""
    seq: int = 0


@dataclass(frozen=True)
class ErrorRaised(Message):
    """Something went wrong in the window; ``fatal`` if it is about to exit."""

    message: str = ""
    fatal: bool = False


@dataclass(frozen=True)
class Closed(Message):
    """The user closed the window."""
