"""Clock time and elapsed time (loupe_tui/core/clock.py): what a scorer reads and types."""

from __future__ import annotations

import datetime as dt

import pytest

from loupe_tui.core.clock import TimeDisplay, format_clock
from loupe_tui.errors import LoupeConfigError

NIGHT = dt.datetime(1989, 4, 24, 22, 30, 0)        # an overnight recording from 22:30


def test_elapsed_is_the_default_and_reads_what_parse_time_reads():
    td = TimeDisplay(NIGHT)
    assert td.format(3725.0) == "1:02:05" and td.parse("1:02:05") == 3725.0 and td.parse("90") == 90.0


def test_on_the_clock_times_show_the_time_of_day_and_a_day_prefix_once_it_comes_round_again():
    td = TimeDisplay(NIGHT, "clock")
    assert td.format(0.0) == "22:30:00"
    assert td.format(2 * 3600 + 44 * 60 + 30) == "01:14:30"             # after midnight: still d1
    assert td.format(86_400.0) == "d2 22:30:00"
    assert td.format(86_400.0 + 4 * 3600) == "d2 02:30:00"
    assert td.format(12.5, decimals=1) == "22:30:12.5"


def test_typing_a_clock_time_goes_to_its_first_time_after_the_start():
    td = TimeDisplay(NIGHT, "clock")
    assert td.parse("02:30") == 4 * 3600.0                             # after midnight
    assert td.parse("23:14:30") == 44 * 60 + 30.0
    assert td.parse("0230") == 4 * 3600.0 and td.parse("2:30") == 4 * 3600.0
    assert td.parse("d2 02:30") == 4 * 3600.0 + 86_400.0
    assert td.parse("22:30") == 0.0
    assert td.parse("90s") == 90.0 and td.parse("1h30m") == 5400.0 and td.parse("90") == 90.0
    for t in (0.0, 100.0, 4 * 3600.0, 86_400.0 + 7.0, 3 * 86_400.0 + 3600.0):
        assert td.parse(td.format(t)) == pytest.approx(t)                 # what it shows, it reads back
    with pytest.raises(LoupeConfigError, match="hours 0-23"):
        td.parse("25:10")


def test_anonymised_dates_are_kept_and_no_start_means_no_clock():
    td = TimeDisplay(dt.datetime(1985, 1, 1, 0, 0, 0), "clock")
    assert td.format(3600.0) == "01:00:00" and "01.01.1985" in td.describe()
    none = TimeDisplay(None, "clock")
    assert none.mode == "elapsed" and not none.can_clock
    with pytest.raises(LoupeConfigError, match="clock time is unknown"):
        none.toggle()


def test_format_clock_is_pure_seconds():
    assert format_clock(60.0, 23 * 3600 + 59 * 60) == "00:00:00"
    assert format_clock(float("nan"), 0.0) == "--:--:--"
