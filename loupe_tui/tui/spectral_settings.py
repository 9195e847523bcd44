"""How the spectral views are shown: which of them, and their colour limits as percentiles.

Pure: no Textual. :class:`SpectralSettings` is the value (frozen; each step
returns a new one); :class:`SpectralDisplay`, held by the
:class:`~loupe_tui.tui.view.ViewModel` as its ``spectral``, is the one owner
of the current settings: the action table calls its methods, each returning
a ``ViewChange`` like the view model's own. Colour limits are percentiles of every value of
the recording's spectrogram (``Spectrogram.limits``), so they stay put
while paging and mean the same on any recording; the defaults are YASA's
2.5/97.5.

* Contrast (``{`` less, ``}`` more) moves both percentiles apart or together
  by :data:`PCT_STEP`, never closer than :data:`MIN_SPAN` points.
* Brightness (Alt+Up brighter, Alt+Down darker) slides both: lower
  percentiles map less power to the bright end of the colour map.

The GL window is told the same settings, as options of its own targets
(:data:`PART_TARGETS`, ``spectrogram``'s ``limits_pct``; docs/gl-window.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from loupe_tui.tui.view_change import Options, ViewChange

#: The default colour limits (percentiles): YASA's plot_spectrogram.
DEFAULT_PCT = (2.5, 97.5)
#: One contrast or brightness step, in percentile points.
PCT_STEP = 2.5
#: The closest the two percentiles may come.
MIN_SPAN = 10.0
#: The views, as ``SpectralSettings`` fields and in messages.
PARTS = {"overview": "whole-recording spectrogram", "page": "window spectrogram",
         "bands": "band power and EMG level"}
#: The GL window's view option targets that show each part (``visible``).
PART_TARGETS = {"overview": ("spectral_overview",), "page": ("spectrogram",), "bands": ("band_power", "emg_level")}


@dataclass(frozen=True)
class SpectralSettings:
    """Which spectral views are shown (when a recording has them) and their colour percentiles."""

    overview: bool = True
    page: bool = True
    bands: bool = True
    pct: tuple[float, float] = DEFAULT_PCT

    def toggled(self, part: str) -> SpectralSettings:
        """``part`` (a key of :data:`PARTS`) shown if hidden, hidden if shown."""
        if part not in PARTS:
            raise ValueError(f"unknown spectral view {part!r}")
        return replace(self, **{part: not getattr(self, part)})

    def contrast(self, steps: int) -> SpectralSettings:
        """``steps`` > 0: percentiles closer together (more contrast); < 0: apart (less)."""
        lo, hi = self.pct
        d = PCT_STEP * steps
        if hi - lo - 2 * d < MIN_SPAN:
            d = (hi - lo - MIN_SPAN) / 2
        return replace(self, pct=(_clip(lo + d), _clip(hi - d)))

    def brightness(self, steps: int) -> SpectralSettings:
        """``steps`` > 0: brighter (both percentiles lower); < 0: darker. Slides, keeping the span."""
        lo, hi = self.pct
        d = -PCT_STEP * steps
        d = min(max(d, -lo), 100.0 - hi)
        return replace(self, pct=(_clip(lo + d), _clip(hi + d)))

    def describe(self) -> str:
        lo, hi = self.pct
        return f"spectrogram colours: {lo:g}th-{hi:g}th percentile"

    def part_options(self, part: str) -> list[tuple[str, dict]]:
        """The GL window's options that show or hide ``part``."""
        return [(t, {"visible": getattr(self, part)}) for t in PART_TARGETS[part]]

    def limit_options(self) -> list[tuple[str, dict]]:
        return [("spectrogram", {"limits_pct": list(self.pct)})]

    def window_options(self) -> list[tuple[str, dict]]:
        """Everything a new GL window is told."""
        out = [opt for part in PARTS for opt in self.part_options(part)]
        return out + self.limit_options()


def _clip(p: float) -> float:
    return round(min(max(p, 0.0), 100.0), 6)


#: Said when a spectral key is pressed on a recording without spectral views.
NO_VIEWS = ("; no spectral views for this recording (open it with --spectrogram CHANNEL [--emg CHANNEL], "
            "or pass a SpectrogramConfig)")


@dataclass
class SpectralDisplay:
    """The spectral views' settings as they are now, and the GL window's targets that show them.

    ``targets``: the spectral targets the GL window has (``spectrogram``, ``band_power``,
    ``emg_level``, ``spectral_overview``); only those are told, another is an error there.
    None exist without spectral views (:meth:`set_targets` says which do).
    """

    settings: SpectralSettings = field(default_factory=SpectralSettings)
    targets: frozenset[str] = frozenset()
    touched: bool = False                  # changed by the user: a new GL window is told

    def set_targets(self, targets) -> None:
        self.targets = frozenset(targets)

    def toggle(self, part: str) -> ViewChange:
        """Show or hide one spectral view (``"overview"``, ``"page"``, ``"bands"``)."""
        self.settings = self.settings.toggled(part)
        shown = "shown" if getattr(self.settings, part) else "hidden"
        return self._changed(self.settings.part_options(part), f"{PARTS[part]} {shown}")

    def contrast(self, steps: int) -> ViewChange:
        """Colour limits closer together (``steps`` > 0) or apart."""
        self.settings = self.settings.contrast(steps)
        return self._changed(self.settings.limit_options(), self.settings.describe())

    def brightness(self, steps: int) -> ViewChange:
        """Colour limits slid to lower (``steps`` > 0: brighter) or higher percentiles."""
        self.settings = self.settings.brightness(steps)
        return self._changed(self.settings.limit_options(), self.settings.describe())

    def window_options(self) -> Options:
        """What a new GL window is told (nothing until the user changed something)."""
        return self._ours(self.settings.window_options()) if self.touched else ()

    def _ours(self, options: list[tuple[str, dict]]) -> Options:
        return tuple((t, o) for t, o in options if t in self.targets)

    def _changed(self, options: list[tuple[str, dict]], message: str) -> ViewChange:
        self.touched = True
        return ViewChange(self._ours(options), terminal=True, message=message + ("" if self.targets else NO_VIEWS))
