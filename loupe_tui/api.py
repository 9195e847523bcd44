"""``view()``: Loupe's entry point, opening the terminal scorer.

``view(TraceConfig(da), interval_labels="labels.csv", state_definitions="rodent_sleep")``
validates everything first (so a mistake is one clear ``LoupeConfigError``
before the screen changes), then runs the Textual app in the current terminal
and returns the labels when it exits. :func:`make_app` does the same without
running, for tests and embedding.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loupe_tui.errors import LoupeConfigError

__all__ = ["view", "make_app", "make_context", "open_labels", "adopt_shared_spectral"]


def view(configs, videos=None, interval_labels=None, interval_label_schema=None,
         interval_labels_writeback: bool = False, state_definitions=None, keymap=None, label_colors=None,
         global_events=None, interval_label_overlays: bool = True, window: bool = True, *,
         epoch_len: float | None = None, window_len: float | None = None, title: str | None = None,
         cache_dir: str | Path | None = None, clock_start=None, time_display: str = "elapsed",
         compare_labels=None, blind: bool = False, suggest: str = "classifier", suggest_eog: str | None = None):
    """Score recordings in the terminal (and a GL window beside it); return the labels.

    Parameters
    ----------
    configs : TraceConfig, HeatmapConfig, RasterConfig, Zip, or a list of them
        Top-to-bottom plot order. Bare DataArrays/DataFrames are refused.
    videos : VideoConfig or list of VideoConfig, optional
    interval_labels : path, polars.DataFrame or IntervalLabelSet, optional
        Labels to start from. A path is journaled: every edit is on disk
        before the screen changes, and recovered after a crash.
    interval_label_schema : IntervalLabelSchema, optional
        Column names of the labels (``.htsv`` / ``.parquet`` need one).
    interval_labels_writeback : bool
        Let Ctrl+S overwrite the labels file itself; otherwise saves go to
        the sibling ``<stem>.scored<ext>``.
    state_definitions : path, bundled keymap name, dict or StateConfig, optional
        State hotkeys, colours and action keys; without it the user's keymap.
    keymap, label_colors : mapping, optional
        Per-state overrides on top of ``state_definitions`` (Loupe's forms).
    global_events : GlobalEventsConfig, optional
    interval_label_overlays : bool
        Start with label shading over the traces.
    window : bool
        Open the GL window beside the terminal (False: terminal views only).
    epoch_len : float, optional
        Scoring epoch in seconds; default: the grid of the existing labels, else 4.
    window_len : float, optional
        Initial window length in seconds.
    title : str, optional
        Recording name for the status bar.
    cache_dir : path, optional
        Decimation pyramid cache.
    clock_start : datetime.datetime, optional
        When time 0 of the data was on the clock (an EDF header's start:
        ``loupe_tui.read_edf(path).start``). With it, times can be shown and
        typed as clock times (``23:14:30``; Ctrl+W or ``:time`` switches).
        Only the time of day and the day count are used; any date is fine
        (anonymised headers say 01.01.85).
    time_display : {"elapsed", "clock"}
        How times start out: since the start of the data, or on the clock
        (needs ``clock_start``).
    compare_labels : list of paths, DataFrames or IntervalLabelSets, optional
        Other scorers' labels of the same recording, opened read-only for
        comparison (strips under the labels, jumps to disagreements, the
        agreement report). Not Loupe's ``interval_label_overlays``, which is
        the label shading.
    blind : bool
        Blind scoring: the suggestions and ``compare_labels`` show only on
        the epochs this person has already scored, so that a comparison
        stays honest (Alt+H switches it in the app).
    suggest : {"classifier", "yasa", "off"}
        Where scoring suggestions come from (they need a ``SpectrogramConfig``):
        a classifier trained on the epochs scored so far (default), YASA's
        pretrained staging of human PSG in 30 s epochs of the spectrogram's
        channel (``pip install 'loupe-tui[yasa]'``; the EMG channel joins
        it), or none.
    suggest_eog : str, optional
        YASA staging's EOG channel, by name.

    Returns
    -------
    IntervalLabelSet
        The labels as they are when the app exits (saved or not; unsaved
        edits of a labels file stay in its journal).

    Raises
    ------
    LoupeConfigError
        Invalid configs or arguments, or no state definitions at all (as in
        Loupe; ``loupe-tui open`` instead falls back on a bundled keymap or
        the labels' own states).
    """
    app = make_app(configs, videos, interval_labels, interval_label_schema, interval_labels_writeback,
                   state_definitions, keymap, label_colors, global_events, interval_label_overlays, window,
                   epoch_len=epoch_len, window_len=window_len, title=title, cache_dir=cache_dir,
                   clock_start=clock_start, time_display=time_display, compare_labels=compare_labels,
                   blind=blind, suggest=suggest, suggest_eog=suggest_eog)
    app.run()
    return app.labels


def make_app(*args, **kwargs):
    """The :class:`~loupe_tui.tui.app.LoupeApp` that :func:`view` runs (same arguments)."""
    from loupe_tui.tui.app import LoupeApp

    return LoupeApp(make_context(*args, **kwargs))


def make_context(configs, videos=None, interval_labels=None, interval_label_schema=None,
                 interval_labels_writeback: bool = False, state_definitions=None, keymap=None,
                 label_colors=None, global_events=None, interval_label_overlays: bool = True,
                 window: bool = True, *, epoch_len: float | None = None, window_len: float | None = None,
                 title: str | None = None, cache_dir: str | Path | None = None, labels_durable=True,
                 window_switch: str = "window=False", guess_states: bool = False,
                 keymap_switch: str = "state_definitions=", window_size: tuple[int, int] | None = None,
                 graphics: str | None = None, clock_start=None, time_display: str = "elapsed",
                 notes: Sequence[str] = (), compare_labels=None, blind: bool = False, suggest: str = "classifier",
                 suggest_eog: str | None = None):
    """Validate :func:`view`'s arguments into a :class:`~loupe_tui.tui.context.ScorerContext`.

    ``window_switch`` is how the status bar names what turned the window off
    (the command line passes ``"--no-window"``). ``guess_states`` lets labels
    that name their states open without state definitions (a bundled keymap
    that has them, else the labels' own states; see
    :mod:`loupe_tui.core.keymap_choice`); ``keymap_switch`` is how messages
    name the way to pass a keymap (``"--keymap"``). Where the states came
    from is told in the status bar, through the labels' ``messages``.
    ``window_size`` ``(w, h)`` is the GL window's size (default: 1600x900,
    or 1024x576 on a display forwarded over SSH; :mod:`loupe_tui.display`).
    ``graphics`` (``auto``, ``kitty``, ``sixel``, ``off``; default
    ``LOUPE_TUI_GRAPHICS``) says whether the window's frames may be shown in
    the terminal (:mod:`loupe_tui.tui.terminal_frames`). ``clock_start`` and
    ``time_display`` are :func:`view`'s; clock time without a start is an
    error here (``loupe-tui open --time clock`` on data without one opens in
    elapsed time with a note instead). ``notes`` are lines for the status
    bar at start-up (what the data files bend), before the labels' own.
    """
    from loupe_tui.config import GlobalEventsConfig, SpectrogramConfig, validate_videos, validate_view_configs
    from loupe_tui.core.keymap_choice import choose_states
    from loupe_tui.core.session import Session
    from loupe_tui.core.states import StateConfig
    from loupe_tui.tui.context import ScorerContext, recording_span
    from loupe_tui.tui.graphics import SETTINGS, graphics_setting
    from loupe_tui.validate import check_choice

    items = validate_view_configs(configs)
    spectral = [c for c in items if isinstance(c, SpectrogramConfig)]
    items = [c for c in items if not isinstance(c, SpectrogramConfig)]
    adopt_shared_spectral(items + spectral, cache_dir)
    vids = validate_videos(videos)
    if global_events is not None and not isinstance(global_events, GlobalEventsConfig):
        raise LoupeConfigError(f"global_events: must be a GlobalEventsConfig, got {type(global_events).__name__}")
    for name, v in (("interval_labels_writeback", interval_labels_writeback),
                    ("interval_label_overlays", interval_label_overlays), ("window", window), ("blind", blind)):
        if not isinstance(v, bool):
            raise LoupeConfigError(f"{name}: must be True or False, got {v!r}")
    if graphics is not None:
        check_choice("graphics", graphics, SETTINGS)
    check_choice("suggest", suggest, ("classifier", "yasa", "off"))
    if suggest_eog is not None:
        from loupe_tui.config_spectral import spectral_channels

        names = [name for name, _, _ in spectral_channels(items)]
        if suggest_eog not in names:
            raise LoupeConfigError(f"suggest_eog: no channel named {suggest_eog!r}; channels: {', '.join(names)}")
    graphics_setting()      # a bad LOUPE_TUI_GRAPHICS: one error line, before any file is opened
    times = time_display_of(clock_start, time_display)
    try:
        t0, t1 = recording_span(items)
    except ValueError as exc:
        raise LoupeConfigError(f"configs: {exc}") from None
    if epoch_len is not None and not (isinstance(epoch_len, (int, float)) and epoch_len > 0):
        raise LoupeConfigError(f"epoch_len: must be a number of seconds > 0, got {epoch_len!r}")
    if window_len is not None and not (isinstance(window_len, (int, float)) and window_len > 0):
        raise LoupeConfigError(f"window_len: must be a number of seconds > 0, got {window_len!r}")
    compare = open_compare_labels(compare_labels, interval_label_schema)
    labels = open_labels(interval_labels, interval_label_schema, interval_labels_writeback, labels_durable)
    try:
        choice = choose_states(labels.states(), state_definitions, keymap, label_colors, guess=guess_states,
                               switch=keymap_switch)
    except BaseException:
        if labels is not interval_labels:   # ours: release its journal
            labels.close()
        raise
    states = choice.states
    if choice.note:
        labels.messages.append(choice.note)
    if epoch_len is None:
        epoch_len = Session.guess_epoch_len(labels.starts, labels.ends, t0)
    session = Session(labels, t0, t1, epoch_len=float(epoch_len),
                      window_len=None if window_len is None else float(window_len), times=times)
    notes = [str(n) for n in notes] + ([_clock_note(times, states)] if times.can_clock else [])

    def loader(path):
        return StateConfig.resolve(path, keymap, label_colors)

    return ScorerContext(session=session, states=states, title=title or _title(items), configs=items,
                         spectral=spectral,
                         videos=vids, global_events=global_events, keymap_loader=loader,
                         keymap_watcher=_watcher(state_definitions, loader, states),
                         window=window, window_switch=window_switch, label_overlays=interval_label_overlays,
                         window_size=window_size, graphics=graphics,
                         cache_dir=Path(cache_dir) if cache_dir is not None else None,
                         notes=notes, compare=compare, blind=blind, suggest=suggest, suggest_eog=suggest_eog)


def adopt_shared_spectral(configs, cache_dir=None) -> int:
    """Copy the spectral entries that ``loupe-tui prepare`` shared for the recordings of ``configs``
    (TraceConfigs, SpectrogramConfigs) into this machine's cache, before the views open, so they
    find them as if built here (:func:`~loupe_tui.io.remote.shared_spectral.adopt_shared`; pyramids
    are read from a shared cache in place). :func:`make_context` calls it, so ``view()``,
    ``loupe-tui open`` and ``snapshot`` all do. Returns how many entries were copied."""
    from loupe_tui.config import SpectrogramConfig, TraceConfig
    from loupe_tui.io.remote.shared_spectral import adopt_shared

    sources = {}
    for c in configs:
        src = c.source() if isinstance(c, TraceConfig) else c.source if isinstance(c, SpectrogramConfig) else None
        if src is not None and getattr(src, "origin", None):
            sources.setdefault((src.origin, id(src.data_array), tuple(src.names)), src)   # each selection once
    return adopt_shared(list(sources.values()), cache_dir)


def open_compare_labels(values, schema=None) -> list:
    """``compare_labels=``: ``[(name, IntervalLabelSet), ...]``, each read as it is on disk
    (read-only: no journal, never saved), named by its file (or ``scorer 2``, ``scorer 3`` ...)."""
    from loupe_tui.core.labels import IntervalLabelSet

    if values is None:
        return []
    items = list(values) if isinstance(values, (list, tuple)) else [values]
    out = []
    for i, v in enumerate(items):
        if isinstance(v, IntervalLabelSet):
            out.append((f"scorer {i + 2}", v))
        elif isinstance(v, (str, Path)):
            out.append((Path(v).name, IntervalLabelSet.read(Path(v).expanduser(), schema)))
        elif type(v).__name__ == "DataFrame":
            out.append((f"scorer {i + 2}", IntervalLabelSet.from_frame(v, schema)))
        else:
            raise LoupeConfigError(f"compare_labels[{i}]: must be a labels file path, a polars DataFrame or "
                                   f"an IntervalLabelSet, got {type(v).__name__}")
    return out


def open_labels(value: Any, schema=None, writeback: bool = False, durable: bool | str = True, *,
                read_only: bool = False):
    """The labels ``interval_labels=`` names, resolved as the scorer opens them.

    A path opens the work saved for it: its journal of unsaved edits is
    replayed, and without writeback a ``<stem>.scored<ext>`` sibling written by
    an earlier save is what opens (see :mod:`loupe_tui.core.labels.files`).
    ``loupe-tui open`` and ``loupe-tui snapshot`` both come through here, so a
    snapshot draws the labels the scorer would show.

    Parameters
    ----------
    value : path, polars.DataFrame, IntervalLabelSet or None
    schema : IntervalLabelSchema, optional
    writeback : bool
    durable : True, False or "background"
        When journal entries reach the disk (:meth:`IntervalLabelSet.load`).
    read_only : bool
        For drawing only (snapshots): a missing file is an error, and in a
        folder that cannot be written (a read-only mount) the saved sibling,
        else the file, is read as it is; a journal of unsaved edits there is
        an error, since it cannot be locked to replay it.

    Raises
    ------
    LoupeConfigError
        A value of the wrong type, or writeback without a file.
    LabelFileError
        The file (or its journal) cannot be read.
    """
    import polars as pl

    from loupe_tui.core.labels import IntervalLabelSet, journal_path_for, sibling_path
    from loupe_tui.errors import LabelFileError

    if isinstance(value, IntervalLabelSet):
        if writeback and not value.writeback:
            raise LoupeConfigError("interval_labels_writeback: the IntervalLabelSet was loaded without "
                                   "writeback; load(path, writeback=True) or pass the path")
        return value
    if writeback and not isinstance(value, (str, Path)):
        raise LoupeConfigError("interval_labels_writeback: needs interval_labels to be a file path")
    if value is None:
        return IntervalLabelSet(schema)
    if isinstance(value, pl.DataFrame):
        return IntervalLabelSet.from_frame(value, schema)
    if not isinstance(value, (str, Path)):
        raise LoupeConfigError(f"interval_labels: expected a path, a polars DataFrame or an IntervalLabelSet, "
                               f"got {type(value).__name__}")
    path = Path(value)
    if read_only:
        sib, journal = sibling_path(path), journal_path_for(path)
        if not any(p.exists() for p in (path, sib, journal)):
            raise LabelFileError(f"{path}: no such labels file")
        folder = path.parent if str(path.parent) else Path(".")
        if not os.access(folder, os.W_OK):
            if journal.exists():
                raise LabelFileError(f"{journal}: holds unsaved edits, but its folder is read-only, so they "
                                     "cannot be replayed here; copy the labels and the journal to a writable "
                                     "folder to draw them")
            return IntervalLabelSet.read(sib if sib.exists() and not writeback else path, schema)
    return IntervalLabelSet.load(path, schema, writeback=writeback, durable=durable)


def time_display_of(clock_start, time_display: str = "elapsed"):
    """The :class:`~loupe_tui.core.clock.TimeDisplay` of :func:`view`'s ``clock_start`` and ``time_display``.

    Raises
    ------
    LoupeConfigError
        ``clock_start`` is not a datetime, ``time_display`` is neither
        ``"elapsed"`` nor ``"clock"``, or ``"clock"`` without a start.
    """
    import datetime as dt

    from loupe_tui.core.clock import MODES, TimeDisplay
    from loupe_tui.validate import check_choice

    check_choice("time_display", time_display, MODES)
    if clock_start is not None and not isinstance(clock_start, dt.datetime):
        raise LoupeConfigError(f"clock_start: must be a datetime.datetime (when time 0 of the data was on the "
                               f"clock), got {type(clock_start).__name__} {clock_start!r}")
    if time_display == "clock" and clock_start is None:
        raise LoupeConfigError("time_display='clock': needs clock_start, the recording's start (a datetime; "
                               "loupe_tui.read_edf(path).start for an EDF)")
    return TimeDisplay(clock_start, time_display)


def _clock_note(times, states) -> str:
    """The start-up line of a recording with a start: when it started and how to switch."""
    from loupe_tui.core.keys import display

    keys = states.action_keys.get("view.clock_time", ())
    switch = display(keys[0]) if keys else ":time"
    if times.clock:
        return f"{times.describe()}; {switch}: times since the start"
    return f"recording started {times.start:%d.%m.%Y %H:%M:%S}; {switch}: clock times"


def _watcher(state_definitions, loader, states):
    from loupe_tui.core.states import KeymapWatcher, StateConfig, find_keymap, user_keymap_path

    if isinstance(state_definitions, (StateConfig, Mapping)):
        return None
    path = find_keymap(state_definitions) if state_definitions is not None else user_keymap_path()
    if path is None or not Path(path).is_file():
        return None
    return KeymapWatcher(path, loader=loader, current=states)


def _title(items: list) -> str:
    for c in items:
        data = getattr(c, "data", None)
        src = getattr(data, "encoding", {}).get("source") if data is not None else None
        if src:
            return Path(src).name
        if getattr(data, "name", None):
            return str(data.name)
    return "recording"
