"""EDF, EDF+ and BDF files as a researcher's own files are: real ones made by other software
(../shared/data/edf), and ones written here byte by byte, well-formed and broken.

What is checked is what a user would notice: the signals and their values in physical units,
the rates, the start date, the annotations, where an EDF+D file's records sit in time, that a
window reads only its own records, and one line naming the file and the problem for a file
that cannot be shown (a warning, and the file shown, where it can)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest

from edf_writer import Sig, sine, write_edf
from loupe_tui.errors import DataFileError
from loupe_tui.io.edf.reader import EdfFile
from loupe_tui.io.edf.recording import read_edf
from loupe_tui.core.edf.tal import parse_tals

EDF_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "edf"
real = pytest.mark.skipif(not EDF_DIR.exists(), reason=f"real data not present at {EDF_DIR} (../shared/data)")


# -- real files made by other software ------------------------------------------------------------
@real
def test_sleep_edf_psg_keeps_its_rates_units_and_start():
    rec = read_edf(EDF_DIR / "short_psg.edf")
    assert list(rec.groups) == ["100 Hz", "1 Hz"]
    eeg = rec.groups["100 Hz"]
    assert list(eeg.channel.values) == ["EEG Fpz-Cz", "EEG Pz-Oz", "EOG horizontal"]
    assert eeg.shape == (3, 30_000) and list(rec.groups["1 Hz"].coords["units"].values)[2] == "DegC"
    assert rec.start == dt.datetime(1989, 4, 24, 16, 13) and rec.header.kind == "EDF"
    assert float(eeg.time[-1]) == pytest.approx(299.99)


@real
def test_values_are_those_edfio_reads():
    edfio = pytest.importorskip("edfio")
    for name in ("short_psg.edf", "mouse_misleep_10min.edf"):
        ref = edfio.read_edf(EDF_DIR / name)
        rec = read_edf(EDF_DIR / name)
        for sig in ref.signals:
            group = next(g for g in rec.groups.values() if sig.label in list(g.channel.values))
            ours = group.sel(channel=sig.label).values if False else \
                group.isel(channel=list(group.channel.values).index(sig.label)).values
            np.testing.assert_allclose(ours, sig.data, rtol=1e-5, atol=1e-4 * max(1.0, np.abs(sig.data).max()))


@real
def test_a_bdf_plus_with_fifteen_annotation_signals_reads_24_bit_samples_and_every_annotation():
    rec = read_edf(EDF_DIR / "multiple_annotation_chans.bdf")
    assert rec.header.kind == "BDF+C" and list(rec.groups) == ["125 Hz"]
    texts = [a.text for a in rec.annotations]
    assert "Ligths-Off#1" in texts and "EEG-check#1" in texts and len(texts) == 10
    emg = rec.groups["125 Hz"].isel(channel=0).values
    assert emg.shape == (30_875,)
    # the first record's samples decoded here by hand from the bytes and the header's text
    raw = (EDF_DIR / "multiple_annotation_chans.bdf").read_bytes()
    ns = int(raw[252:256])
    field = lambda start, width: raw[start:start + width * ns][:width].decode().strip()  # noqa: E731
    base = 256 + ns * (16 + 80 + 8)
    pmin, pmax, dmin, dmax = (float(field(base + i * 8 * ns, 8)) for i in range(4))
    n = int(field(256 + ns * (16 + 80 + 8 + 8 * 4 + 80), 8))
    b = np.frombuffer(raw[256 * (ns + 1):256 * (ns + 1) + 3 * n], np.uint8).reshape(n, 3).astype(np.int64)
    digital = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    digital = np.where(digital >= 1 << 23, digital - (1 << 24), digital)
    np.testing.assert_allclose(emg[:n], (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin, rtol=1e-5)


@real
def test_nihon_kohden_edf_plus_d_without_nul_between_tals_reads_its_record_times():
    rec = read_edf(EDF_DIR / "MB0400FU.EDF")
    assert rec.header.kind == "EDF+D"
    assert [(a.onset, a.text) for a in rec.annotations] == [(0.0, "Segment: REC START ALLE EEG"),
                                                           (1.14, "A1+A2 OFF")]
    assert rec.file.layout.onsets.tolist() == [float(i) for i in range(29)]


@real
def test_the_non_compliant_dreams_header_opens_with_a_warning():
    rec = read_edf(EDF_DIR / "dreams" / "excerpt3.edf")
    assert any("O1-A1" in w and "-72984" in w for w in rec.warnings)
    assert sum(g.shape[0] for g in rec.groups.values()) == 20
    o1 = rec.groups["50 Hz"].isel(channel=0, time=slice(0, 500)).values
    assert np.isfinite(o1).all() and 2 < np.std(o1) < 200                  # microvolts, not raw counts


# -- written here -------------------------------------------------------------------------------------
def psg(tmp_path, hours=0.05, **kw) -> Path:
    s = hours * 3600
    sigs = [Sig("EEG C4", 256, sine(256, s, 7)), Sig("EEG M1", 256, sine(256, s, 3, 500)),
            Sig("EMG chin", 512, sine(512, s, 40, 300)), Sig("SpO2", 1, np.full(int(s), 970), unit="%",
                                                            pmin=0, pmax=100, dmin=0, dmax=1000)]
    return write_edf(tmp_path / "night.edf", sigs, 1.0, **kw)


def test_mixed_rates_become_groups_and_physical_units_come_from_the_header(tmp_path):
    rec = read_edf(psg(tmp_path))
    assert {k: list(v.channel.values) for k, v in rec.groups.items()} == {
        "256 Hz": ["EEG C4", "EEG M1"], "512 Hz": ["EMG chin"], "1 Hz": ["SpO2"]}
    assert rec.groups["1 Hz"].values[0, :3] == pytest.approx([97.0, 97.0, 97.0])
    c4 = rec.groups["256 Hz"].isel(channel=0).values
    assert c4.max() == pytest.approx(100.0, abs=0.2)                        # 1000 steps of 0.1 uV


def test_channels_pick_and_order_by_pattern_and_derive_subtracts_lazily(tmp_path):
    path = psg(tmp_path)
    rec = read_edf(path, channels=["EMG*", "C4-M1", "EEG C4"], derive=["C4-M1=EEG C4-EEG M1"])
    assert [list(v.channel.values) for v in rec.groups.values()] == [["EMG chin"], ["C4-M1", "EEG C4"]]
    full = read_edf(path).groups["256 Hz"].values
    derived = rec.groups["256 Hz"].isel(channel=0, time=slice(100, 900)).values
    np.testing.assert_allclose(derived, full[0, 100:900] - full[1, 100:900], atol=1e-4)
    with pytest.raises(DataFileError, match=r"night\.edf: --channels 'ECG\*' matches no signal"):
        read_edf(path, channels=["ECG*"])
    with pytest.raises(DataFileError, match="EMG chin is sampled at 512 Hz"):
        read_edf(path, derive={"X": ("EMG chin", "EEG C4")})
    with pytest.raises(DataFileError, match="expected NAME=A-B"):
        read_edf(path, derive=["C4M1"])


def test_bdf_reads_the_full_24_bit_range(tmp_path):
    d = np.array([-(1 << 23), -1, 0, 1, (1 << 23) - 1, 12345, -54321, 7] * 4)
    path = write_edf(tmp_path / "x.bdf", [Sig("A", 8, d, pmin=-(1 << 23), pmax=(1 << 23) - 1,
                                              dmin=-(1 << 23), dmax=(1 << 23) - 1)], 1.0, bdf=True)
    rec = read_edf(path)
    assert rec.header.kind == "BDF"
    np.testing.assert_allclose(rec.groups["8 Hz"].values[0], d, atol=1e-3 * (1 << 23) * 1e-3)


def test_an_edf_plus_d_file_keeps_its_gaps_and_costs_a_row_per_run_not_a_float_per_sample(tmp_path):
    onsets = [0, 1, 2, 10, 11, 30]                          # runs 0-3 s, 10-12 s, 30-31 s
    path = write_edf(tmp_path / "d.edf", [Sig("EEG", 100, sine(100, 6, 2))], 1.0, plus="D", onsets=onsets)
    rec = read_edf(path)
    ax = rec.file.time_axis(rec.header.data_signals[0])
    assert ax.segments.tolist() == [[0, 0.0], [300, 10.0], [500, 30.0]] and ax.times is None
    assert ax.time_of(np.array([0, 299, 300, 499, 500])).tolist() == pytest.approx([0, 2.99, 10, 11.99, 30])
    assert ax.index_of(np.array([5.0, 10.0, 10.005, 40.0])).tolist() == [300, 300, 301, 600]
    assert ax.t_end == pytest.approx(31.0)
    da = rec.groups["100 Hz"]
    assert float(da.time[300]) == pytest.approx(10.0)


def test_a_window_across_a_gap_is_drawn_with_the_gap(tmp_path):
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.pyramid import Pyramid

    path = write_edf(tmp_path / "d.edf", [Sig("EEG", 100, sine(100, 4, 2))], 1.0, plus="D", onsets=[0, 1, 10, 11])
    src = TraceConfig(read_edf(path).groups["100 Hz"]).source()
    pyr = Pyramid.open_or_build(src, tmp_path / "p")
    raw = pyr.window(0.0, 12.0, 2000)                       # zoomed in: the samples themselves
    assert raw.raw
    gap = (raw.times > 2.0) & (raw.times < 10.0)
    assert gap.sum() == 1 and np.isnan(raw.lo[0][gap]).all()               # a break, not a line
    cols = pyr.window(0.0, 12.0, 120)                       # one column per 0.1 s
    t = np.linspace(0, 12, 121)[:-1] + 0.05
    assert np.isnan(cols.lo[0][(t > 2.1) & (t < 9.9)]).all()
    assert np.isfinite(cols.lo[0][(t < 1.9) | ((t > 10.1) & (t < 11.9))]).all()


def test_reading_a_window_reads_only_its_records(tmp_path):
    path = psg(tmp_path, hours=0.5)                         # 1800 records of 1 s

    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, n=-1):
            out = super().read(n)
            Counting.read_bytes += len(out)
            return out

    f = Counting(path.read_bytes())
    rec = read_edf(f, name="remote.edf")
    opened = Counting.read_bytes
    record = rec.header.record_bytes
    assert opened < 12 * record                           # header, and a look at a few records
    Counting.read_bytes = 0
    rec.groups["256 Hz"].isel(time=slice(600 * 256, 610 * 256)).values
    assert Counting.read_bytes == 10 * record             # ten seconds: ten records


# -- bad input -----------------------------------------------------------------------------------
def test_what_the_file_bends_opens_with_a_warning(tmp_path):
    d = sine(100, 5)
    d[250] = 32767
    rec = read_edf(write_edf(tmp_path / "a.edf", [Sig("EEG", 100, d, dmin=-2000, dmax=2000),
                                                  Sig("EEG", 100, d), Sig("Ré", 100, d)],
                             1.0, truncate_bytes=100))
    text = " | ".join(rec.warnings)
    assert "last data record is cut short" in text
    assert "appears more than once" in text and "'EEG (2)'" in text
    assert "not ASCII" in text
    assert "samples beyond the declared digital range in EEG" in text
    assert rec.duration == 4.0

    rec = read_edf(write_edf(tmp_path / "b.edf", [Sig("EEG", 100, d)], 1.0, n_records_field=9))
    assert any("holds 5 of the 9 data records" in w for w in rec.warnings) and rec.duration == 5.0
    rec = read_edf(write_edf(tmp_path / "c.edf", [Sig("EEG", 100, d)], 1.0, n_records_field=-1))
    assert rec.duration == 5.0 and not rec.warnings
    rec = read_edf(write_edf(tmp_path / "e.edf", [Sig("EEG", 100, d)], 1.0, start_date="31.02.99"))
    assert rec.start is None and any("clock time is unknown" in w for w in rec.warnings)
    rec = read_edf(write_edf(tmp_path / "f.edf", [Sig("EEG", 100, d)], 1.0, plus="C", broken_tal_record=2,
                             annotations=[(1.5, 0.5, "arousal"), (99.0, None, "late")]))
    assert [a.text for a in rec.annotations] == ["arousal", "late"]
    text = " | ".join(rec.warnings)
    assert "1 data record(s) hold annotation bytes that are not valid TALs" in text
    assert "1 annotation(s) start after the recording ends" in text


@pytest.mark.parametrize("kw,message", [
    (dict(header_bytes_field=300), r"header size field says 300 bytes, but 1 signals make 512"),
    (dict(start_time="16.13.00", n_records_field="many"), r"number of data records is 'many', not a number"),
])
def test_a_header_that_does_not_add_up_is_one_line_naming_the_file(tmp_path, kw, message):
    path = write_edf(tmp_path / "bad.edf", [Sig("EEG", 100, sine(100, 3))], 1.0, **kw)
    with pytest.raises(DataFileError, match=rf"^{tmp_path / 'bad.edf'}: {message}"):
        read_edf(path)


def test_unreadable_files_are_one_line_each(tmp_path):
    d = sine(100, 3)
    cases = {
        "rate0.edf": (dict(signals=[Sig("EEG", 100, d)], record_s=0.0), "data record duration is 0 s"),
        "zero.edf": (dict(signals=[Sig("EEG", 100, d, header_overrides={"n": 0})]),
                     "data records hold no samples"),
        "limits.edf": (dict(signals=[Sig("EEG", 100, d, dmin=5, dmax=5)]), "digital maximum 5 is not above"),
        "gapless.edf": (dict(signals=[Sig("EEG", 100, d)], plus="D", onsets=[0, 0.5, 1]),
                        "record 2 starts at 0.5 s, before record 1 ends"),
        "short.edf": (dict(signals=[Sig("EEG", 100, d)], truncate_bytes=600), "holds no complete data record"),
    }
    for name, (kw, message) in cases.items():
        kw = dict(kw)
        sigs = kw.pop("signals")
        if name == "rate0.edf":
            path = write_edf(tmp_path / name, sigs, 1.0)
            raw = bytearray(path.read_bytes())
            raw[244:252] = b"0       "
            path.write_bytes(bytes(raw))
        else:
            path = write_edf(tmp_path / name, sigs, kw.pop("record_s", 1.0), **kw)
        with pytest.raises(DataFileError, match=message) as err:
            read_edf(path)
        assert str(err.value).startswith(str(path)) and "\n" not in str(err.value), name
    (tmp_path / "text.edf").write_text("hello, not an EDF file" * 20)
    with pytest.raises(DataFileError, match="not an EDF or BDF file"):
        read_edf(tmp_path / "text.edf")


def test_an_edf_plus_d_record_without_its_time_is_refused(tmp_path):
    path = write_edf(tmp_path / "d.edf", [Sig("EEG", 10, sine(10, 3))], 1.0, plus="D", onsets=[0, 5, 9],
                     broken_tal_record=1)
    with pytest.raises(DataFileError, match="1 data record.s. have no time-keeping annotation"):
        read_edf(path)


def test_tals_are_found_in_one_pass_and_text_keeps_its_utf8():
    block = np.zeros((2, 64), np.uint8)
    for r, raw in enumerate([b"+0\x14\x14\x00+0.5\x1530\x14Sleep stage W\x14\x00",
                             b"+1\x14\x14\x00+1.25\x14Schlaf \xc3\xa4\x14Zweite\x14\x00"]):
        block[r, :len(raw)] = np.frombuffer(raw, np.uint8)
    tals = parse_tals(block)
    assert tals.record_onsets.tolist() == [0.0, 1.0] and tals.broken == 0
    assert [(a.onset, a.duration, a.text) for a in tals.annotations] == [
        (0.5, 30.0, "Sleep stage W"), (1.25, None, "Schlaf ä"), (1.25, None, "Zweite")]


def test_a_file_object_is_read_like_a_file(tmp_path):
    path = psg(tmp_path)
    with open(path, "rb") as f:
        rec = read_edf(io.BufferedReader(f))     # no memory map: seek and read
        a = rec.groups["512 Hz"].isel(time=slice(1000, 3000)).values
    b = read_edf(path).groups["512 Hz"].isel(time=slice(1000, 3000)).values
    np.testing.assert_array_equal(a, b)
    assert EdfFile(path).header.kind == "EDF"


def test_a_loupe_style_script_mixes_edf_groups_with_other_data(tmp_path):
    import xarray as xr

    import loupe_tui
    from loupe_tui.api import make_context

    rec = loupe_tui.read_edf(psg(tmp_path))
    other = xr.DataArray(np.zeros((2, 600)), dims=("channel", "time"),
                         coords={"time": np.arange(600) / 2.0, "channel": ["x", "y"]}, name="other")
    ctx = make_context([loupe_tui.TraceConfig(rec.groups["256 Hz"]), loupe_tui.TraceConfig(rec.groups["1 Hz"]),
                        loupe_tui.TraceConfig(other)], state_definitions="aasm_human", window=False,
                       epoch_len=30.0)
    assert (ctx.session.t_start, ctx.session.t_end) == (0.0, 300.0)
    assert [c.trace_names() for c in ctx.configs][:2] == [["EEG C4", "EEG M1"], ["SpO2"]]


# -- the command line: open/snapshot's sources ------------------------------------------------------
def _sources(*argv):
    import argparse

    from loupe_tui.commands.sources import add_source_arguments, build_sources

    p = argparse.ArgumentParser()
    add_source_arguments(p)
    return build_sources(p.parse_args([str(a) for a in argv]))


def test_open_shows_each_rate_group_and_the_files_stages_as_labels_and_the_rest_as_events(tmp_path):
    d = sine(100, 90)
    path = write_edf(tmp_path / "n.edf", [Sig("EEG Fpz-Cz", 100, d), Sig("EEG Pz-Oz", 100, d),
                                          Sig("Temp", 1, np.full(90, 370), unit="DegC")], 30.0, plus="C",
                     ann_bytes=240, annotations=[(0.0, 30.0, "Sleep stage W"), (30.0, 60.0, "Sleep stage 2"),
                                                 (45.0, None, "Lights off")])
    src = _sources(path, "--channels", "EEG*,Bip,Temp", "--derive", "Bip=EEG Fpz-Cz-EEG Pz-Oz")
    assert [list(c.data.channel.values) for c in src.configs] == [["EEG Fpz-Cz", "EEG Pz-Oz", "Bip"], ["Temp"]]
    assert src.labels == path                              # its own hypnogram (saves go to a sibling)
    assert src.events.data["text"].to_list() == ["Lights off"]
    assert src.start == dt.datetime(1989, 4, 24, 16, 13)
    (tmp_path / "n.labels.csv").write_text("start_s,end_s,label\n0,30,W\n")
    assert _sources(path).labels == tmp_path / "n.labels.csv"   # a labels file of its own wins


def test_edf_options_on_other_data_are_refused(tmp_path):
    from loupe_tui.errors import LoupeConfigError

    with pytest.raises(LoupeConfigError, match="--channels: only for EDF/BDF files"):
        _sources(tmp_path, "--channels", "EEG")
