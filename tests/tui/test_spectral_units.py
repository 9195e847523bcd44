"""The spectral views' pure parts: half-block cells and their colours, levels, sparklines, settings, layout, pages."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from rich.color import ColorSystem
from rich.console import Console

from loupe_tui.core.keys import display
from loupe_tui.core.states import StateConfig
from loupe_tui.io.spectral.cache import SpectrumImage
from loupe_tui.tui.help import help_rows
from loupe_tui.tui.spectral_pages import PageImages
from loupe_tui.tui.spectral_panels import spectral_heights
from loupe_tui.tui.spectral_settings import SpectralSettings
from loupe_tui.tui.view import ViewModel
from loupe_tui.tui.widgets.band_lines import SPARKS, spark_levels
from loupe_tui.tui.widgets.halfblock import LEVELS, MARK, UPPER_HALF, HalfBlockPainter, color_table, to_levels

BLACK, RED, BLUE, BG = (0, 0, 0), (255, 0, 0), (0, 0, 255), (18, 18, 24)


def cells(strip) -> list[tuple[str, tuple, tuple]]:
    """(character, fg RGB, bg RGB) per cell of a strip."""
    out = []
    for seg in strip:
        fg, bg = (tuple(c.get_truecolor()) for c in (seg.style.color, seg.style.bgcolor))
        out += [(ch, fg, bg) for ch in seg.text]
    return out


def ansi(strip, system: str) -> str:
    console = Console(color_system=system, file=io.StringIO(), force_terminal=True, width=20)
    return strip.render(console)


def test_half_blocks_put_the_upper_pixel_in_the_foreground_and_the_lower_in_the_background():
    p = HalfBlockPainter([BLACK, RED, BLUE], BG)
    levels = np.array([[0, 1, -1, 2],      # pixel row 0 (top)
                       [2, 2, 0, -1],      # pixel row 1
                       [1, 1, 1, 1]])      # pixel row 2: an odd count, padded with "no value"
    top, bottom = p.rows(levels, 4)
    assert cells(top) == [(UPPER_HALF, BLACK, BLUE), (UPPER_HALF, RED, BLUE), (UPPER_HALF, BG, BLACK),
                          (UPPER_HALF, BLUE, BG)]
    assert cells(bottom) == [(UPPER_HALF, RED, BG)] * 4
    assert len(list(bottom)) == 1                    # equal cells are one segment
    marked = p.rows(levels, 4, marks=np.array([False, True, False, False]))[0]
    assert cells(marked)[1] == (MARK, (255, 255, 255), RED)      # the marker sits on the upper pixel's colour
    assert cells(marked)[0] == cells(top)[0]


def test_true_colour_terminals_get_the_rgb_and_256_colour_terminals_the_xterm_palette():
    levels = np.array([[0, 1], [2, 2]])
    strip = HalfBlockPainter([BLACK, RED, BLUE], BG).rows(levels, 2)[0]
    assert ansi(strip, "truecolor") == (f"\x1b[38;2;0;0;0;48;2;0;0;255m{UPPER_HALF}\x1b[0m"
                                        f"\x1b[38;2;255;0;0;48;2;0;0;255m{UPPER_HALF}\x1b[0m")
    # Rich downgrades each RGB to the xterm palette as Textual writes the strip: black 16, red 196, blue 21
    strip = HalfBlockPainter([BLACK, RED, BLUE], BG).rows(levels, 2)[0]     # fresh styles: no cached codes
    assert ansi(strip, "256") == (f"\x1b[38;5;16;48;5;21m{UPPER_HALF}\x1b[0m"
                                  f"\x1b[38;5;196;48;5;21m{UPPER_HALF}\x1b[0m")
    assert "38;2" not in ansi(HalfBlockPainter([BLACK, RED, BLUE], BG).rows(levels, 2)[0], "256")


def test_viridis_levels_and_their_256_colour_cells():
    table = color_table("viridis")
    assert len(table) == LEVELS == 32 and table[0] == (68, 1, 84) and table[-1] == (253, 231, 37)
    assert color_table("gray")[0] == (0, 0, 0) and color_table("gray")[-1] == (255, 255, 255)
    lv = to_levels(np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]]), 0.0, 1.0)
    assert lv.tolist() == [[0, 0, 16, 31, 31, -1]]                 # clipped at the limits; NaN has none
    strip = HalfBlockPainter(table, BG).rows(np.array([[0], [31]]), 1)[0]
    assert ansi(strip, "256") == f"\x1b[38;5;53;48;5;220m{UPPER_HALF}\x1b[0m"   # purple 53 over yellow 220
    downgraded = {c.get_truecolor() for c in (seg.style.color.downgrade(ColorSystem.EIGHT_BIT)
                                              for seg in strip)}
    assert downgraded == {(95, 0, 95)}
    with pytest.raises(ValueError, match="no terminal colour map"):
        color_table("jet")


def test_sparklines_scale_between_the_limits():
    lv = spark_levels(np.array([np.nan, -5.0, 0.0, 0.5, 0.99, 1.0, 7.0]), 0.0, 1.0)
    assert "".join(SPARKS[lv]) == " ▁▁▅███"      # eight steps: half way is the fifth


def test_colour_percentiles_step_and_stay_in_range():
    s = SpectralSettings()
    assert s.pct == (2.5, 97.5)
    assert s.contrast(1).pct == (5.0, 95.0) and s.contrast(-1).pct == (0.0, 100.0)
    assert s.contrast(-1).contrast(-1).pct == (0.0, 100.0)
    tight = s
    for _ in range(40):
        tight = tight.contrast(1)
    assert tight.pct[1] - tight.pct[0] == pytest.approx(10.0)          # never closer than 10 points
    assert s.brightness(1).pct == (0.0, 95.0) and s.brightness(-1).pct == (5.0, 100.0)
    assert s.brightness(1).brightness(1).pct == (0.0, 95.0)            # slides no further than 0
    assert s.toggled("page").page is False and s.toggled("overview").overview is False
    with pytest.raises(ValueError):
        s.toggled("nothing")


def test_the_view_model_owns_the_spectral_settings_and_tells_the_gl_window_its_targets():
    v = ViewModel()
    ch = v.spectral.toggle("bands")                    # no spectral views: nothing for the GL window
    assert ch.terminal and ch.options == () and "no spectral views for this recording" in ch.message
    v.spectral.set_targets({"spectrogram", "band_power", "spectral_overview"})   # no EMG channel
    ch = v.spectral.toggle("bands")
    assert ch.message == "band power and EMG level shown"
    assert ch.options == (("band_power", {"visible": True}),)                    # not emg_level: none there
    assert v.spectral.toggle("page").options == (("spectrogram", {"visible": False}),)
    assert v.spectral.toggle("overview").options == (("spectral_overview", {"visible": False}),)
    ch = v.spectral.contrast(1)
    assert ch.message == "spectrogram colours: 5th-95th percentile"
    assert ch.options == (("spectrogram", {"limits_pct": [5.0, 95.0]}),)
    assert v.spectral.settings.pct == (5.0, 95.0)
    opts = v.window_options()                                                    # a new window is told all
    for want in (("spectrogram", {"visible": False}), ("spectrogram", {"limits_pct": [5.0, 95.0]}),
                 ("band_power", {"visible": True}), ("spectral_overview", {"visible": False})):
        assert want in opts
    assert not any(t == "emg_level" for t, _ in opts)
    assert not any(t == "spectrogram" for t, _ in ViewModel().window_options())   # untouched: not told


def test_help_lists_the_spectral_keys():
    rows = dict(help_rows(StateConfig({"Wake": ["w"]}, {"Wake": "#00ff00"})))["View"]
    want = {"Alt+S": "whole-recording spectrogram", "Alt+W": "window's spectrogram", "Alt+P": "band power",
            "}": "more contrast", "{": "less contrast", "Alt+Up": "brighter", "Alt+Down": "darker"}
    for key, what in want.items():
        assert any(k == key and what in text for k, text in rows), (key, rows)
    assert display("alt+up") == "Alt+Up"


def test_heights_shrink_the_spectrograms_before_the_traces():
    assert spectral_heights(20, [5, 4]) == [5, 4]
    assert spectral_heights(7, [5, 4]) == [4, 3]
    assert spectral_heights(4, [5, 4]) == [2, 2]
    assert spectral_heights(3, [5, 4]) == [2, 1]
    assert spectral_heights(-3, [5, 4]) == [1, 1]                   # never none: the view is on
    assert spectral_heights(9, [5]) == [5]


class FakeSpectrogram:
    """What PageImages uses of a Spectrogram: fine pages are counted, the cached epochs are instant."""

    step_s, first, t_end = 4.0, 0.0, 1000.0

    def __init__(self):
        self.pages: list[tuple] = []
        self.lock = threading.Lock()

    def page(self, t0, t1, n):
        with self.lock:
            self.pages.append((t0, t1))
        return SpectrumImage(t0, t1, np.arange(3.0), np.ones((3, n), np.float32))

    def image(self, t0, t1, n):
        return SpectrumImage(t0, t1, np.arange(3.0), np.zeros((3, n), np.float32))


def test_pages_come_from_a_thread_and_the_next_page_is_ready_before_it_is_asked_for():
    spec, ready = FakeSpectrogram(), threading.Event()
    pages = PageImages(spec, lambda key: ready.set(), delays=(0.0, 0.0))
    img, fine = pages.image(100.0, 120.0, 50)
    assert not fine and float(img.power.max()) == 0.0           # the cached epochs, at once
    assert ready.wait(5)                                         # on_ready once the fine page is there
    img, fine = pages.image(100.0, 120.0, 50)
    assert fine and float(img.power.min()) == 1.0
    for _ in range(500):                                         # then its neighbours, unasked
        if {(120.0, 140.0), (80.0, 100.0)} <= set(spec.pages):
            break
        threading.Event().wait(0.01)
    ready.clear()
    assert pages.image(120.0, 140.0, 50)[1]                      # the next page: no wait, no call back
    assert not ready.wait(0.2)
    pages.close()


def test_pages_flipped_past_are_never_computed():
    spec = FakeSpectrogram()
    pages = PageImages(spec, lambda key: None, delays=(0.2, 0.2))
    for k in range(10):                                          # key repeat: ten pages within the delay
        pages.image(20.0 * k, 20.0 * k + 20, 50)
    threading.Event().wait(0.6)
    assert spec.pages[0] == (180.0, 200.0) and (0.0, 20.0) not in spec.pages
    pages.close()
