"""The main screen's non-scoring actions: prompts, saving, view toggles, video, screens, quit.

A mixin of :class:`~loupe_tui.tui.screens.main.MainScreen` (kept apart so
each file says one thing). Each method is named in
:data:`loupe_tui.tui.dispatch.HANDLERS`; it returns a ``Change`` (applied by
the screen) or None when the result arrives later (a prompt's callback
applies it then).
"""

from __future__ import annotations

import time
from pathlib import Path

from textual import work

from loupe_tui import protocol as P
from loupe_tui.core.session import Change
from loupe_tui.core.timefmt import format_time, parse_time
from loupe_tui.errors import LoupeConfigError, LoupeError
from loupe_tui.io.label_formats import format_of
from loupe_tui.tui import integrate
from loupe_tui.tui.help import HelpScreen
from loupe_tui.tui.prompts import Choice, Prompt

PLAY_HZ = 10.0


def _positive_time(text: str) -> float:
    t = parse_time(text)
    if not t > 0:
        raise LoupeConfigError("must be more than 0 s")
    return t


class MainActions:
    """Prompts, files, toggles and screens of the main screen (mixin)."""

    _play_timer = None
    _play_wall = 0.0
    play_speed = 1.0

    # -- prompts ---------------------------------------------------------------
    def ask(self, prompt: Prompt, then) -> None:
        """Show ``prompt``; ``then(text)`` returns the Change to apply (errors shown)."""
        def done(text: str | None) -> None:
            if text is not None:
                self.run_safely(lambda: then(text))
        self.app.push_screen(prompt, done)

    def ask_goto(self) -> None:
        self.ask(Prompt("Go to time", "3:25:10, 25:10, 12345 (s), 1h30m; Esc cancels",
                        check=parse_time), lambda t: self.session.goto(parse_time(t)))

    def ask_epoch_len(self) -> None:
        s = self.session
        self.ask(Prompt("Epoch length (seconds)", "e.g. 4 for mice, 30 for human sleep", f"{s.epoch_len:g}",
                        check=_positive_time), lambda t: s.set_epoch_len(parse_time(t)))

    def ask_window_len(self) -> None:
        s = self.session
        self.ask(Prompt("Window length", "seconds, or 2m, 1:00", f"{s.window_len:g}", check=_positive_time),
                 lambda t: s.set_window_len(parse_time(t)))

    def ask_note(self) -> Change | None:
        s = self.session
        row = s.labels.at_time(s.cursor)
        if row is None:
            return Change(message="no label at the cursor to note: label the epoch first")
        where = f"{row.label} {format_time(row.start)}–{format_time(row.end)}"
        self.ask(Prompt(f"Note on {where}", "empty clears the note; Esc cancels", row.note or ""),
                 lambda t: s.set_note(t or None))
        return None

    # -- files -----------------------------------------------------------------
    def save(self, then_quit: bool = False) -> Change | None:
        labels = self.session.labels
        if labels.save_path is None:
            self.ask_export()
            return Change(message="these labels have no file: export them to one")
        try:
            path = labels.save()
        except LoupeError as exc:
            return Change(message=f"not saved: {exc}")
        self.notify_status(f"saved {path}", "ok")
        if then_quit:
            self.quit_now()
        return Change()

    def export(self, path: str) -> Change:
        p = Path(path).expanduser()
        format_of(p, writing=True)
        written = self.session.labels.save_as(p)
        self.notify_status(f"exported {len(self.session.labels):,} labels to {Path(written).resolve()}", "ok")
        return Change()

    def ask_export(self) -> None:
        src = self.session.labels.source_path
        value = str(src.with_name(src.stem + ".export.csv")) if src is not None else ""
        self.ask(Prompt("Export labels as", ".csv, .htsv or .parquet (columns kept); Esc cancels", value,
                        check=lambda t: format_of(Path(t), writing=True)), self.export)

    # -- views -----------------------------------------------------------------
    def _toggle(self, option: str, key: str = "visible") -> bool:
        self.options[option][key] = not self.options[option][key]
        self.bridge.send(P.SetViewOption(option, dict(self.options[option])))
        return self.options[option][key]

    def toggle_hypnogram(self) -> Change:
        on = self._toggle("hypnogram")
        self.hypnogram.display = on
        return Change(window=False, message=f"hypnogram {'shown' if on else 'hidden'}")

    def toggle_hypnogram_zoom(self) -> Change:
        zoomed = self._toggle("hypnogram", "zoom")
        hyp = self.hypnogram
        if hyp.zoomed != zoomed:
            hyp.toggle_zoom()
        return Change(message="hypnogram: " + ("zoomed around the window" if zoomed else "whole recording"))

    def toggle_label_strip(self) -> Change:
        on = self._toggle("label_strip")
        self.label_strip.display = on
        return Change(message=f"label strip {'shown' if on else 'hidden'}")

    def toggle_label_overlays(self) -> Change:
        on = self._toggle("label_overlays")
        return Change(message=f"label overlays {'on' if on else 'off'}")

    def toggle_video_position(self) -> Change:
        opts = self.options.setdefault("video", {})
        opts["position"] = "right" if opts.get("position", "right") == "below" else "below"
        self.bridge.send(P.SetViewOption("video", {"position": opts["position"]}))
        return Change(message="videos " + ("below the plots" if opts["position"] == "below" else "beside the plots"))

    def y_zoom(self, factor: float) -> Change:
        return integrate.y_zoom(self, factor)       # the window's own yzoom: autorange stays on

    def focus_trace(self, step: int) -> Change:
        return integrate.focus_panel(self, step)    # traces, dense, heatmaps and rasters

    def restart_window(self) -> Change:
        if not self.context.window:
            return Change(message="GL window is off (started with --no-window / window=False)")
        self.start_window(restart=self.bridge.link is not None)
        return Change()

    # -- video -----------------------------------------------------------------
    def toggle_play(self) -> Change:
        # The GL window plays at the video's frame rate on its own clock; the
        # session follows on wall time (same clock, so the two agree) and the
        # window ignores the cursor it is sent while it is close to its own.
        target = self.dispatcher.video_target
        if self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None
            self.bridge.send(P.VideoCommand("pause", target))
            return self._play_advance() | Change(cursor=True, message="paused")
        self._play_timer = self.set_interval(1 / PLAY_HZ, self._play_tick)
        self._play_wall = time.monotonic()
        self.bridge.send(P.VideoCommand("play", target, self.play_speed))
        return Change(message=f"playing at {self.play_speed:g}x (Space pauses)")

    def _play_advance(self) -> Change:
        now = time.monotonic()
        dt, self._play_wall = now - self._play_wall, now
        return self.session.step_time(self.play_speed * dt)

    def _play_tick(self) -> None:
        change = self._play_advance()
        if not change.cursor:
            self.toggle_play()
        self.apply(change)

    def cycle_video_target(self) -> Change:
        n = len(self.context.videos)
        if not n:
            return Change(message="no video: frame steps move the cursor by a hundredth of the window")
        d = self.dispatcher
        d.video_target = (d.video_target + 1) % n
        self.bridge.send(P.SetViewOption("video", {"step_target": d.video_target}))
        return Change(message=f"frame steps move video {d.video_target + 1} ({self.context.videos[d.video_target].name})")

    def toggle_video(self, i: int) -> Change:
        if i >= len(self.context.videos):
            return Change(message=f"there is no video {i + 1}")
        on = self._toggle(f"video:{i}")
        return Change(message=f"video {i + 1} {'shown' if on else 'hidden'}")

    # -- screens -----------------------------------------------------------------
    def open_command_line(self) -> None:
        from loupe_tui.tui.widgets.command_line import CommandLine
        self.query_one(CommandLine).open()

    def open_help(self) -> None:
        src = self.states.source
        self.app.push_screen(HelpScreen(self.states, str(src) if src is not None else None))

    def open_palette(self) -> Change | None:
        return integrate.open_palette(self)

    def open_jumper(self) -> Change | None:
        return integrate.open_jumper(self)

    def open_keymap(self) -> Change | None:
        return integrate.open_keymap(self)

    def open_dialog(self, kind: str) -> Change | None:
        return integrate.open_dialog(self, kind)

    def open_labels_table(self) -> Change | None:
        return integrate.open_labels_table(self)

    # -- quit --------------------------------------------------------------------
    def request_quit(self) -> Change | None:
        labels = self.session.labels
        if not labels.has_unsaved_edits:
            self.quit_now()
            return None
        where = labels.save_path.name if labels.save_path is not None else "a file (export)"
        kept = "they stay in the journal and come back next time" if labels.journal_path else "they are lost"

        def chosen(key: str | None) -> None:
            if key == "y":
                self.run_safely(lambda: self.save(then_quit=True))
            elif key == "n":
                self.quit_now()
        self.app.push_screen(Choice(f"Unsaved label edits. Save to {where} before quitting?",
                                    {"y": "save and quit", "n": f"quit without saving ({kept})"}), chosen)
        return None

    def quit_now(self) -> None:
        self._shutdown()

    @work(exclusive=True, group="quit")
    async def _shutdown(self) -> None:
        """Close the GL window, then leave the app returning the labels."""
        try:
            await self.bridge.stop()
        finally:
            self.app.exit(self.session.labels)
