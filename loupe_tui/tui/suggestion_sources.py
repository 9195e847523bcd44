"""Where the main screen's scoring suggestions come from (issue 14, 15).

:class:`SuggestionSources` is the part of :class:`~loupe_tui.tui.suggestions.SuggestionReview`
that makes or finds the :class:`~loupe_tui.io.suggest.Suggestions` it shows:

* the background :class:`~loupe_tui.io.suggest.SuggestionTrainer`, started once the spectral views
  are open (their caches hold the features; the features are computed in a thread worker), fed a
  :class:`~loupe_tui.io.suggest.LabelSnapshot` after every label edit (0.01 ms: never a key's cost);
  what it publishes arrives on the app's thread through ``call_from_thread``;
* YASA's pretrained staging of human PSG (``open --suggest yasa``, ``view(suggest="yasa")``, the
  palette's "YASA staging of <channel>"): instead of the trainer, the spectrogram's channel (the
  EMG level's and ``suggest_eog`` join it) is staged once in a thread worker, in 30 s epochs;
  nothing needs to be scored first. Without the ``yasa`` extra, one status line says what to
  install. ``suggest="off"``: none;
* a shared cache (``loupe-tui prepare --suggest``, :mod:`loupe_tui.io.remote.shared_suggest`):
  current suggestions prepared for the lab show at once, until this scoring trains its own.

The states suggested are the keymap's, less the artifact-like ones
(:func:`~loupe_tui.core.labels.sleep_stats.excluded_kind`, as ``labels compare`` leaves them
out of kappa).
"""

from __future__ import annotations

from functools import partial

from textual.worker import get_current_worker

from loupe_tui import protocol as P
from loupe_tui.core.labels.sleep_stats import excluded_kind
from loupe_tui.core.session import Change
from loupe_tui.errors import one_line
from loupe_tui.io.suggest import LabelSnapshot, SuggestionTrainer, Suggestions, epoch_features, sidecar_path
from loupe_tui.tui.workers import poster


def suggestable_states(states) -> tuple[str, ...]:
    """The keymap's states the model may suggest: all but artifact and unscored ones."""
    return tuple(s for s in states if excluded_kind(s) is None)



class SuggestionSources:
    """Mixed into :class:`~loupe_tui.tui.suggestions.SuggestionReview` (its ``screen``, ``session``,
    ``current``, ``problem``, ``blind`` and ``key_name``): the trainer, YASA and the shared cache."""

    # -- the trainer -------------------------------------------------------------------------
    def start(self, views: list) -> None:
        """The spectral views are open: compute the features in a thread, then (re)start the trainer."""
        self.close()
        self.current, self._said_problem, self._announced, self.shared = None, False, False, False
        self._views = list(views)
        if self.method == "off":
            return
        if self.method == "yasa":
            self._start_yasa()
            return
        spec = next((v.spectrogram for v in views if v.spectrogram is not None), None)
        emg = next((v.emg for v in views if v.emg is not None), None)
        if spec is None and emg is None:
            return
        source = self._source()
        states = suggestable_states(self.screen.states.states)
        self.screen.run_worker(partial(self._features, spec, emg, source, states), name="suggestion features",
                               group="suggestions", thread=True, exclusive=True)

    def _source(self):
        spectral = self.screen.context.spectral
        return spectral[0].source if spectral else None

    def _features(self, spec, emg, source=None, states=()) -> None:
        post = poster(self.screen.app, get_current_worker())
        shared = self._shared(source, spec, emg, states=states or None, method="classifier")
        if shared is not None:      # prepared for the lab (loupe-tui prepare --suggest): shown until ours come
            post(self._shared_ready, shared)
        try:
            features = epoch_features(spec, emg)
        except Exception as exc:  # noqa: BLE001 - no suggestions, scoring goes on; said in one line
            post(self._problem, f"no suggestions: {type(exc).__name__}: {exc}")
            return
        post(self._start_trainer, features)

    def _start_trainer(self, features) -> None:
        labels = self.session.labels
        states = suggestable_states(self.screen.states.states)
        source = labels.source_path
        self.trainer = SuggestionTrainer(features, partial(self._from_thread, self._published),
                                         partial(self._from_thread, self._problem), states=states or None,
                                         sidecar=sidecar_path(source) if source is not None else None,
                                         process=True)
        self.trainer.submit(LabelSnapshot.of(labels), now=True)

    # -- YASA's pretrained staging (human PSG) --------------------------------------------------
    def use_yasa(self, eeg: str | None = None) -> Change:
        """Suggestions from YASA's staging of ``eeg`` (default: the spectrogram's channel), in place of
        the trainer; one status line when the extra is missing or the channels do not fit."""
        from loupe_tui.io.suggest.yasa_staging import EXTRA, missing_packages

        missing = missing_packages()
        if missing:
            return Change(message=f"YASA staging needs the yasa extra ({', '.join(missing)} not installed): "
                                  f"{EXTRA}")
        if eeg is not None and eeg != self._eeg_name():
            change = self.screen.spectral.choose(channel=eeg)     # its views open, then start() stages
            return change | self._switch_to_yasa(start=False)
        if self._eeg_name() is None:
            return Change(message="YASA staging: choose the EEG first (palette: Spectrogram of ...)")
        return self._switch_to_yasa()

    def choices(self) -> list[tuple[str, object]]:
        """The palette's ``("YASA staging of C4-M1", use)`` for each channel when the session's epoch
        is YASA's 30 s (human PSG; the current one left out while it is what is shown)."""
        from loupe_tui.io.suggest.yasa_staging import EPOCH_S

        if abs(self.session.epoch_len - EPOCH_S) > 1e-9:
            return []
        now = self._eeg_name() if self.method == "yasa" else None
        return [(f"YASA staging of {name}", partial(self.use_yasa, name))
                for name in self.screen.context.spectral_candidates() if name != now]

    def _switch_to_yasa(self, start: bool = True) -> Change:
        self.method = "yasa"
        self.screen.context.suggest = "yasa"
        self.close()
        if self.current is not None:            # the classifier's go, in both windows
            self.current = None
            self.screen.bridge.send(P.SetLabelLayer("suggestions", "suggested", visible=False))
        self.screen.show_suggestions(send=False)
        if start and self._views:
            self._start_yasa()
        return Change(message="YASA staging: running (a few seconds; the first time in a session about 10 s)")

    def _eeg_name(self) -> str | None:
        spectral = self.screen.context.spectral
        return spectral[0].names[0] if spectral else None

    def _start_yasa(self) -> None:
        from loupe_tui.io.suggest.yasa_staging import EPOCH_S, EXTRA, missing_packages

        missing = missing_packages()
        if missing:
            self._problem(f"YASA staging needs the yasa extra ({', '.join(missing)} not installed): {EXTRA}")
            return
        eeg = self._eeg_name()
        emg = self.screen.context.spectral[0].names[1] if self.screen.context.spectral else None
        if eeg is None:
            self._problem("YASA staging needs an EEG channel: open --spectrogram CHANNEL, or the palette's "
                          "\"Spectrogram of ...\"")
            return
        if abs(self.session.epoch_len - EPOCH_S) > 1e-9:
            self._problem(f"YASA stages 30 s epochs; this session's epoch is {self.session.epoch_len:g} s "
                          f"(Ctrl+E sets it)")
            return
        eog = self.screen.context.suggest_eog
        views = self._views[0] if self._views else None
        spec, emg_view = (views.spectrogram, views.emg) if views is not None else (None, None)
        self.screen.run_worker(partial(self._yasa, eeg, eog, emg, self._source(), spec, emg_view),
                               name="YASA staging", group="suggestions", thread=True, exclusive=True)

    def _yasa(self, eeg: str, eog: str | None, emg: str | None, source=None, spec=None, emg_view=None) -> None:
        from loupe_tui.io.suggest.yasa_staging import stage
        from loupe_tui.prepare_suggest import yasa_channels

        post = poster(self.screen.app, get_current_worker())
        shared = self._shared(source, spec, emg_view, method="yasa", yasa_channels=(eeg, eog, emg))
        if shared is not None:      # staged once for the lab by loupe-tui prepare --suggest-method yasa
            post(self._shared_ready, shared)
            return
        notes: list[str] = []
        try:
            channels = yasa_channels(self.screen.context.configs, eeg, eog, emg,
                                     flags=("EEG", "EOG", "EMG"), note=notes.append)
            made = stage(*channels)
        except Exception as exc:  # noqa: BLE001 - no suggestions, scoring goes on; said in one line
            post(self._problem, f"no suggestions: YASA staging: {one_line(exc)}")
            return
        post(self._yasa_done, (made, notes))

    def _yasa_done(self, result) -> None:
        made, notes = result
        if self.method != "yasa":
            return
        self.current, self.problem, self._said_problem = made, None, False
        self.screen.show_suggestions()
        missing = [s for s in made.states if s not in self.screen.states.states]
        said = f"suggestions ready: YASA staging ({made.model}, {made.train_seconds:.1f} s)"
        if missing:
            said += f"; the keymap has no {', '.join(missing)} (accepting writes them as they are)"
        self._say("; ".join([said, *notes]), "ok")
        self._announced = True

    @staticmethod
    def _shared(source, spec, emg, **kw):
        """Current suggestions from a shared cache (``loupe-tui prepare --suggest``), or None; a shared
        cache that cannot be read is no reason to stop (the app's own come anyway)."""
        from loupe_tui.io.remote.shared_suggest import find_shared_suggestions

        try:
            return find_shared_suggestions(source, spec, emg, **kw)
        except Exception:  # noqa: BLE001 - the network or a broken entry: suggestions are made here instead
            return None

    def _shared_ready(self, made: Suggestions) -> None:
        if self.current is not None:
            return                  # this scoring's own came first (trained, or its sidecar)
        self.current, self.problem = made, None
        self.shared = True
        self.screen.show_suggestions()
        self._announced = True
        what = "YASA staging" if made.model.startswith("YASA") else f"trained on {made.n_train:,} epochs of the lab"
        self._say(f"suggestions ready from the shared cache ({what}, prepared); "
                  f"{self.key_name('suggest.accept')} accepts one", "ok")

    def _from_thread(self, fn, arg) -> None:
        """The trainer's callbacks run on its thread: hand them to the app's."""
        try:
            self.screen.app.call_from_thread(fn, arg)
        except RuntimeError:          # the app has gone
            pass

    def close(self) -> None:
        if self.trainer is not None:
            self.trainer.close(timeout=0)
            self.trainer = None

    def _published(self, made: Suggestions) -> None:
        if self.trainer is None:
            return
        self.current, self.problem, self._said_problem, self.shared = made, None, False, False
        self.screen.show_suggestions()
        if not self._announced:
            self._announced = True
            how = f"{'read back' if made.from_sidecar else 'trained'} on {made.n_train:,} scored epochs"
            if self.blind:
                self._say(f"suggestions ready ({how}); blind: shown on the epochs you have scored, "
                          f"{self.key_name('suggest.blind')} shows them all", "ok")
            else:
                self._say(f"suggestions ready ({how}): {self.key_name('suggest.accept')} accepts one, "
                          f"{self.key_name('suggest.accept_window')} the window", "ok")

    def _problem(self, message: str) -> None:
        if self.shared and message.startswith("not enough scored epochs"):
            return                          # the shared suggestions stay until this scoring can train
        self.problem = message
        if message.startswith("not enough scored epochs"):
            if self._said_problem:
                return                      # once, not on every edit
            self._said_problem = True
            message = f"no suggestions yet: {message}"
        self._say(message, "warning")

    def _say(self, text: str, level: str) -> None:
        """After what the status line says (the spectral views' news comes just before), not over it."""
        before = self.screen.status_bar.message
        self.screen.notify_status(f"{before}; {text}" if before else text, level)
