"""The action registry: every keyboard action of the scorer, in one table.

Key handling, the footer, the help screen, the command palette and
``docs/keymaps.md`` all read :data:`ACTIONS`, so help can never drift from
behaviour. Ids are stable (keymap files refer to them); default keys are
canonical (see :mod:`loupe_tui.core.keys`).

Letters and digits are left to state hotkeys: the only letters bound by
default are Loupe's own ``h`` (hypnogram) and ``z`` (hypnogram zoom) plus
``g`` (go to time), and the only digit is Loupe's ``0`` (clear). ``n``/``N``
are *not* next/previous match (as in vim) because ``n`` is NREM in most
rodent keymaps; those are ``F3``/``Shift+F3``.

The spectral views are toggled with Alt+letters (``alt+s`` spectrogram,
``alt+w`` window spectrogram, ``alt+p`` band power): an Alt+letter is ESC +
letter in every terminal, but Textual reads ESC b and ESC f as
Ctrl+Left/Right, so not ``alt+b``. Their colours take ``{``/``}`` (contrast)
and ``alt+up``/``alt+down`` (brightness), which no chord degrades into.
The display filters take ``ctrl+f`` (all on/off) and ``alt+c`` (the focused
trace's chain; ``alt+f`` would arrive as Ctrl+Right).

Keys with Ctrl+Shift (``ctrl+shift+n`` ...) or Ctrl+digit need a terminal
that reports them (kitty keyboard protocol: kitty, WezTerm, foot, Ghostty,
recent iTerm2 and Windows Terminal; the GL window always does). Elsewhere
(tmux, xterm, VTE) Ctrl+Shift+<letter> arrives as Ctrl+<letter>, so no default
key may degrade into another action's key or a state key: each such chord has
a second key that works everywhere (``ctrl+n`` for the note, ``ctrl+h`` for
heatmaps, ``ctrl+r`` for rasters, ``alt+l`` for overlays, ``ctrl+up``/``down``
for Y zoom), Export is ``ctrl+x`` rather than Ctrl+Shift+S (which would arrive
as Save), and ``tests/unit/test_actions.py`` checks the degradation table that
``docs/tui.md`` documents. Every action is also in the command palette (Ctrl+P).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

GROUPS: tuple[str, ...] = ("navigation", "scoring", "selection", "labels", "suggestions", "view", "video", "app")


@dataclass(frozen=True)
class Action:
    """One keyboard action.

    Attributes
    ----------
    id : str
        Stable id used in keymap files (``"nav.page_next"``).
    keys : tuple of str
        Default keys, canonical.
    description : str
        Short text for the footer, help screen and command palette.
    group : str
        One of :data:`GROUPS`; orders the help screen.
    footer : bool
        Shown in the footer by default.
    """

    id: str
    keys: tuple[str, ...]
    description: str
    group: str
    footer: bool = False


def _a(id: str, keys: str | tuple[str, ...], description: str, group: str, footer: bool = False) -> Action:
    return Action(id, (keys,) if isinstance(keys, str) else tuple(keys), description, group, footer)


ACTIONS: tuple[Action, ...] = (
    # navigation
    _a("nav.page_next", ("]", "pagedown"), "Next page (one window forward)", "navigation", True),
    _a("nav.page_prev", ("[", "pageup"), "Previous page (one window back)", "navigation", True),
    _a("nav.epoch_next", ".", "Step one epoch forward", "navigation"),
    _a("nav.epoch_prev", ",", "Step one epoch back", "navigation"),
    _a("nav.start", "home", "Go to the start of the recording", "navigation"),
    _a("nav.end", "end", "Go to the end of the recording", "navigation"),
    _a("nav.goto_time", "g", "Go to a time (typed: 3600, 1:00:00, 2h30m)", "navigation", True),
    _a("nav.window_longer", "-", "Longer window (zoom out in time)", "navigation"),
    _a("nav.window_shorter", ("+", "="), "Shorter window (zoom in in time)", "navigation"),
    _a("nav.next_unscored", "ctrl+u", "Go to the next unscored epoch", "navigation"),
    _a("nav.next_change", ">", "Go to the next state change", "navigation"),
    _a("nav.prev_change", "<", "Go to the previous state change", "navigation"),
    _a("nav.match_next", "f3", "Next match of the last search or jump", "navigation"),
    _a("nav.match_prev", "shift+f3", "Previous match of the last search or jump", "navigation"),
    _a("nav.epoch_jumper", "ctrl+j", "Jump to epochs by state or note", "navigation"),
    _a("nav.label_table", "f4", "Label table beside the traces, following the cursor", "navigation"),
    # scoring
    _a("score.set_epoch_length", "ctrl+e", "Set the epoch length", "scoring"),
    _a("score.toggle_auto_advance", "ctrl+t", "Toggle auto-advance after scoring an epoch", "scoring"),
    # selection
    _a("sel.mark_start", "enter", "Start a selection at the cursor epoch", "selection"),
    _a("sel.extend_next", "shift+right", "Extend the selection by one epoch", "selection"),
    _a("sel.extend_prev", "shift+left", "Shrink/extend the selection back by one epoch", "selection"),
    _a("sel.extend_fine_next", "ctrl+shift+right", "Extend the selection by one fine step", "selection"),
    _a("sel.extend_fine_prev", "ctrl+shift+left", "Shrink/extend the selection back by one fine step", "selection"),
    _a("sel.clear", "escape", "Drop the selection (labels are kept)", "selection"),
    # labels
    _a("labels.clear", "0", "Clear labels in the selection, or in the cursor epoch", "labels"),
    _a("labels.delete_last", "backspace", "Delete the last label added", "labels"),
    _a("labels.undo", "ctrl+z", "Undo", "labels"),
    _a("labels.redo", "ctrl+y", "Redo", "labels"),
    _a("labels.note", ("ctrl+shift+n", "ctrl+n"), "Add or edit a note on the epoch/selection", "labels"),
    _a("labels.save", "ctrl+s", "Save labels", "labels", True),
    _a("labels.export", "ctrl+x", "Export labels as... (csv, htsv, parquet)", "labels"),
    # the agreement report (issue 14) is listed with the suggestions, which it compares the labels with;
    # G for aGreement (Alt+A and Alt+R accept): an Alt+letter arrives exact in every terminal
    _a("labels.agreement", "alt+g", "Agreement report: labels against the compared scorers and the suggestions",
       "suggestions"),
    # suggestions (issue 14): review is the fast path, so accepting is one unmodified key, ``;``
    # (home row, right hand; no state keymap uses punctuation); the rest are Alt+letters, exact in
    # every terminal (ESC + letter; not Alt+B/Alt+F, which Textual reads as Ctrl+Left/Right)
    _a("suggest.accept", ";", "Accept the suggestion for the cursor's epoch and step on", "suggestions", True),
    _a("suggest.accept_window", "alt+a", "Accept every suggestion in the window where nothing is scored "
       "(one undo step)", "suggestions"),
    _a("suggest.accept_run", "alt+r", "Accept the run of equal suggestions the cursor is in, where nothing is "
       "scored (one undo step)", "suggestions"),
    _a("suggest.next_low_confidence", "alt+n", "Go to the next epoch whose suggestion's confidence is below "
       "the threshold", "suggestions"),
    _a("suggest.next_disagreement", "alt+d", "Go to the next epoch where the labels, the suggestions and the "
       "compared scorers disagree", "suggestions"),
    _a("suggest.threshold", "alt+t", "Set the confidence threshold (default 0.8)", "suggestions"),
    _a("suggest.blind", "alt+h", "Blind scoring on/off: suggestions and other scorers show only on epochs "
       "you have scored", "suggestions"),
    # view
    _a("view.hypnogram", "h", "Show/hide the hypnogram", "view"),
    _a("view.hypnogram_zoom", "z", "Hypnogram: whole recording / zoomed around the window", "view"),
    _a("view.label_strip", "ctrl+l", "Show/hide the label strip", "view"),
    _a("view.label_overlays", ("ctrl+shift+l", "alt+l"), "Show/hide label overlays on the traces", "view"),
    _a("view.y_scale", "ctrl+d", "Y scale dialog (autorange, min, max) for the focused trace", "view"),
    _a("view.y_zoom_in", ("ctrl+up", "ctrl+1"), "Y zoom in on the focused trace", "view"),
    _a("view.y_zoom_out", ("ctrl+down", "ctrl+2"), "Y zoom out on the focused trace", "view"),
    _a("view.ruler", "'", "Ruler: mark two times, read the time and the focused trace's peak-to-peak amplitude",
       "view"),
    _a("view.focus_next", "tab", "Focus the next trace/panel (heatmaps and rasters too)", "view"),
    _a("view.focus_prev", "shift+tab", "Focus the previous trace/panel", "view"),
    _a("view.dense_controls", "ctrl+g", "Dense trace controls (gain, step, page)", "view"),
    _a("view.heatmap_controls", ("ctrl+shift+h", "ctrl+h"), "Heatmap controls (vmin, vmax, colormap, decimation)",
       "view"),
    _a("view.raster_controls", ("ctrl+shift+r", "ctrl+r"), "Raster controls (proportional rows, brightness)", "view"),
    _a("view.restart_gl", "f5", "Restart the GL window", "view"),
    # W for wall clock: letters are the states'; Ctrl+W arrives as itself in every terminal (\x17)
    _a("view.clock_time", "ctrl+w", "Times on the clock (23:14:30) or since the start (toggle; needs the "
       "recording's start date and time)", "view"),
    # the spectral views (issue 13): Alt+letter arrives exact in every terminal (ESC + letter; not
    # Alt+B/Alt+F, which Textual reads as Ctrl+Left/Right); braces and Alt+arrows for the colours
    _a("view.spectrogram", "alt+s", "Show/hide the whole-recording spectrogram (above the hypnogram)", "view"),
    _a("view.window_spectrogram", "alt+w", "Show/hide the window's spectrogram (above the traces)", "view"),
    _a("view.band_power", "alt+p", "Show/hide band power lines (delta, theta, theta/delta) and the EMG level",
       "view"),
    _a("view.spectral_contrast_more", "}", "Spectrogram colours: more contrast (percentile limits closer)",
       "view"),
    _a("view.spectral_contrast_less", "{", "Spectrogram colours: less contrast (percentile limits apart)",
       "view"),
    _a("view.spectral_brighter", "alt+up", "Spectrogram colours: brighter (limits at lower percentiles)", "view"),
    _a("view.spectral_darker", "alt+down", "Spectrogram colours: darker (limits at higher percentiles)", "view"),
    # display filters (issue 13): Ctrl+F arrives as itself everywhere (\x06; no default degrades into it);
    # Alt+C (chain) rather than Alt+F, which Textual reads as Ctrl+Right
    _a("view.filters", "ctrl+f", "Display filters on/off (every trace that has a chain; the chains are kept)",
       "view"),
    _a("view.filter_chain", "alt+c", "Display filter of the focused trace (eeg, emg, notch50, notch60, 0.5-30, "
       "hp:0.5, lp:35, notch:50; chains: eeg, notch50; off)", "view"),
    # Loupe's menu-only dialogs: no default key (the palette and ':' reach them);
    # bind one in the keymap file if you use it often.
    _a("view.event_styles", (), "Global event styles (colour, line style, width, alpha)", "view"),
    _a("view.overlay_alpha", (), "Label overlay shading (alpha, shown)", "view"),
    # video
    _a("video.frame_next", "right", "Step the target video one frame forward", "video"),
    _a("video.frame_prev", "left", "Step the target video one frame back", "video"),
    _a("video.play_pause", "space", "Play/pause video", "video"),
    _a("video.cycle_target", "ctrl+o", "Choose the video that frame steps move (cycles)", "video"),
    _a("video.choose_target", (), "Choose the video that frame steps move (dialog)", "video"),
    _a("video.speed", (), "Video playback speed (0.25x-4x)", "video"),
    _a("video.visibility", (), "Show or hide each video (dialog)", "video"),
    _a("video.position", (), "Videos beside the plots or below them (toggle)", "video"),
    *(_a(f"video.toggle_{i}", f"ctrl+shift+{i}", f"Show/hide video {i}", "video") for i in range(1, 10)),
    # app
    _a("app.command_line", ":", "Command line (typed commands, e.g. :goto 1:00:00)", "app"),
    _a("app.palette", "ctrl+p", "Command palette (every action by name)", "app", True),
    _a("app.help", ("f1", "?"), "Help: keys and states", "app", True),
    _a("app.figure", "f12", "Save a figure: the GL window's frame (PNG) and the terminal's view (SVG)", "app"),
    _a("app.keymap", "ctrl+k", "Keymap screen (view and rebind keys)", "app"),
    _a("app.quit", "ctrl+q", "Quit", "app", True),
)

_BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}


def action_ids() -> tuple[str, ...]:
    """Every action id, in table order."""
    return tuple(_BY_ID)


def get_action(action_id: str) -> Action:
    """The action with this id; ``KeyError`` (with a suggestion) if unknown."""
    try:
        return _BY_ID[action_id]
    except KeyError:
        hint = suggest_action(action_id)
        raise KeyError(f"unknown action {action_id!r}" + (f" (did you mean {hint!r}?)" if hint else "")) from None


def suggest_action(action_id: str) -> str | None:
    """The known action id closest to ``action_id``, or ``None``."""
    ids = list(_BY_ID)
    best = difflib.get_close_matches(action_id, ids, n=1, cutoff=0.5)
    if best:
        return best[0]
    # "page_next" without its group prefix still deserves an answer
    tail = {i.split(".", 1)[1]: i for i in ids}
    best = difflib.get_close_matches(action_id.split(".")[-1], list(tail), n=1, cutoff=0.6)
    return tail[best[0]] if best else None


def default_action_keys() -> dict[str, tuple[str, ...]]:
    """``{action id: default keys}`` for every action."""
    return {a.id: a.keys for a in ACTIONS}


def actions_by_group() -> dict[str, list[Action]]:
    """Actions grouped for the help screen, groups in :data:`GROUPS` order."""
    out: dict[str, list[Action]] = {g: [] for g in GROUPS}
    for a in ACTIONS:
        out[a.group].append(a)
    return out
