"""The spectral views' channel chooser in the command palette, and the views reopened for a new epoch length;
each time a running GL window is restarted with the new spectral spec."""

from __future__ import annotations

import time

from textual.command import CommandList

import loupe_tui.tui.bridge as bridge_mod
from loupe_tui import protocol as P
from tui_helpers import FakeLink, SIZE, sync, wait_ready


def prompts(app) -> list[str]:
    cl = app.screen.query_one(CommandList)
    return [str(cl.get_option_at_index(i).prompt) for i in range(cl.option_count)]


async def choose(pilot, text: str) -> None:
    """Ctrl+P, type ``text``, Enter on the first entry once it is ``text``."""
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*["space" if c == " " else c for c in text.lower()])
    for _ in range(100):
        await pilot.pause(0.05)
        shown = prompts(pilot.app)
        if shown and shown[0].startswith(text):
            break
    else:
        raise AssertionError(f"the palette never offered {text!r}: {prompts(pilot.app)[:5]}")
    await pilot.press("enter")
    await pilot.pause()


async def wait_opened(pilot, names, timeout: float = 60.0) -> None:
    sp = pilot.app.screen.spectral
    t = time.monotonic()
    while not (sp.opened and sp.configs and sp.configs[0].names == names):
        await pilot.pause(0.05)
        assert time.monotonic() - t < timeout, "the spectral views never opened"
    await pilot.pause()


def spectral_spec(self, session, view, states):
    """What the bridge would describe: only the spectral part matters here."""
    return [P.LoadSession({"spectral": [list(c.names) for c in self.context.spectral],
                           "epoch_s": session.epoch_len})]


@sync
async def test_the_palette_lists_the_channels_and_a_choice_opens_the_views_and_restarts_the_window(
        new_app, monkeypatch):
    monkeypatch.setattr(bridge_mod, "RenderLink", FakeLink)
    monkeypatch.setattr(bridge_mod.Bridge, "initial", spectral_spec)
    FakeLink.instances = []
    app = new_app(window=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.pause(0.1)
        scr, link = app.screen, FakeLink.instances[-1]
        assert link.initial[0].spec["spectral"] == [] and not scr.spectral.configs
        texts = [text for text, _ in app.palette_choices()]
        assert texts == ["Spectrogram of EEG", "Spectrogram of EMG", "EMG level of EEG", "EMG level of EMG"]
        await choose(pilot, "Spectrogram of EEG")
        assert scr.spectral.configs[0].names == ("EEG", None), scr.status_bar.text
        await wait_opened(pilot, ("EEG", None))
        assert scr.spectral.page.display and scr.spectral.page.spectrogram is not None
        await pilot.pause(0.1)
        assert link.restarts == 1 and link.initial[0].spec["spectral"] == [["EEG", None]]
        await choose(pilot, "EMG level of EMG")                          # the spectrogram's channel stays
        await wait_opened(pilot, ("EEG", "EMG"))
        await pilot.pause(0.1)
        assert link.restarts == 2 and link.initial[0].spec["spectral"] == [["EEG", "EMG"]]
        assert [t for t, _ in app.palette_choices()] == ["Spectrogram of EMG", "EMG level of EEG"]


@sync
async def test_a_new_epoch_length_reopens_the_spectral_views_for_it(new_app, monkeypatch):
    monkeypatch.setattr(bridge_mod, "RenderLink", FakeLink)
    monkeypatch.setattr(bridge_mod.Bridge, "initial", spectral_spec)
    FakeLink.instances = []
    app = new_app(window=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        scr = app.screen
        scr.run_safely(lambda: scr.spectral.choose(channel="EEG", emg_channel="EMG"))
        await wait_opened(pilot, ("EEG", "EMG"))
        assert scr.spectral.views[0].epoch_s == 4.0
        await pilot.pause(0.1)
        link = FakeLink.instances[-1]
        restarts = link.restarts
        await pilot.press("ctrl+e")
        app.screen.query_one("Input").value = "8"
        await pilot.press("enter")
        assert scr.session.epoch_len == 8.0
        t = time.monotonic()
        while not (scr.spectral.opened and scr.spectral.views[0].epoch_s == 8.0):
            await pilot.pause(0.05)
            assert time.monotonic() - t < 60, "the views were never reopened for 8 s epochs"
        await pilot.pause(0.1)
        assert link.restarts == restarts + 1 and link.initial[0].spec["epoch_s"] == 8.0
