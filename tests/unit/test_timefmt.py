import pytest

from loupe_tui.core.timefmt import format_duration, format_time, parse_time
from loupe_tui.errors import LoupeConfigError


@pytest.mark.parametrize("text,seconds", [
    ("3:25:10", 12310.0), ("25:10", 1510.0), ("0:00:01.5", 1.5), ("90", 90.0), ("90s", 90.0),
    ("1h30m", 5400.0), ("2.5h", 9000.0), ("15m", 900.0), ("1d2h", 93600.0), ("250ms", 0.25),
    (" 1h 30m ", 5400.0), ("-5", -5.0), ("12.25", 12.25),
])
def test_parse_time_forms_scorers_type(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "3:75:00", "1h30x", "nan", "inf", "::", "1:2:3:4", "h"])
def test_parse_time_rejects_with_a_hint(text):
    with pytest.raises(LoupeConfigError, match="3:25:10"):
        parse_time(text)


@pytest.mark.parametrize("seconds,text", [
    (12310, "3:25:10"), (0, "0:00:00"), (1.5, "0:00:01.5"), (86400, "24:00:00"), (3.125, "0:00:03.125"),
    (-5, "-0:00:05"), (float("nan"), "--:--:--"),
])
def test_format_time(seconds, text):
    assert format_time(seconds) == text


def test_format_then_parse_round_trips():
    for s in (0.0, 4.0, 3599.5, 12310.25, 86399.0):
        assert parse_time(format_time(s)) == pytest.approx(s)


def test_format_duration():
    assert format_duration(4) == "4 s"
    assert format_duration(150) == "2 min 30 s"
    assert format_duration(3 * 3600 + 300) == "3 h 05 min"
