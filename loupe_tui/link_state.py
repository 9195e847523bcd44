"""What the GL window has been told, so a restarted window can be told again.

:class:`SentState` watches the messages the link sends and keeps the newest
of each kind of state (session, colours, window, cursor, selection, focus,
every view option) and the labels with every edit applied. ``messages()``
gives them back in an order a fresh window can apply.
"""

from __future__ import annotations

from loupe_tui import protocol as P


class SentState:
    """The state carried by sent messages, replayable after a restart."""

    def __init__(self):
        self._latest: dict[type, P.Message] = {}
        self._options: dict[str, dict] = {}
        self._labels: dict[tuple[float, float, str], None] | None = None

    def note(self, msg: P.Message) -> None:
        """Record one sent message (non-state messages are ignored)."""
        if isinstance(msg, P.SetLabels):
            self._labels = {(float(s), float(e), str(lb)): None for s, e, lb in zip(msg.starts, msg.ends, msg.labels)}
        elif isinstance(msg, P.ApplyLabelDiff):
            if self._labels is None:
                self._labels = {}
            for s, e, lb in msg.removed:
                self._labels.pop((float(s), float(e), str(lb)), None)
            for s, e, lb in msg.added:
                self._labels[(float(s), float(e), str(lb))] = None
        elif isinstance(msg, P.SetViewOption):
            self._options.setdefault(msg.target, {}).update(msg.options)
        elif isinstance(msg, (P.LoadSession, P.SetStateColors, P.SetWindow, P.SetCursor, P.SetSelection,
                              P.SetFocus)):
            if isinstance(msg, P.LoadSession):
                self._options.clear()
            self._latest[type(msg)] = msg

    def messages(self) -> list[P.Message]:
        """The full state: LoadSession, colours, labels, window, cursor, selection, options, focus."""
        out: list[P.Message] = [self._latest[t] for t in (P.LoadSession, P.SetStateColors) if t in self._latest]
        if self._labels is not None:
            spans = sorted(self._labels)
            out.append(P.SetLabels(tuple(s for s, _, _ in spans), tuple(e for _, e, _ in spans),
                                   tuple(lb for _, _, lb in spans)))
        out += [self._latest[t] for t in (P.SetWindow, P.SetCursor, P.SetSelection) if t in self._latest]
        out += [P.SetViewOption(target, dict(opts)) for target, opts in self._options.items()]
        if P.SetFocus in self._latest:
            out.append(self._latest[P.SetFocus])
        return out
