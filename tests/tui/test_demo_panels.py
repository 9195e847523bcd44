"""The demo opens with its calcium heatmap and spike raster, and Tab reaches them (issue 10, item 12)."""

from __future__ import annotations

from loupe_tui.api import make_app
from loupe_tui.commands.open import demo_configs
from tui_helpers import SIZE, sync, wait_ready


@sync
async def test_tab_focuses_the_demo_heatmaps_and_rasters(demo, labels_file, pyramid_cache):
    configs, videos = demo_configs(demo)
    app = make_app(configs, videos=videos, interval_labels=labels_file, state_definitions=demo.keymap,
                   window=False, cache_dir=pyramid_cache)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        said = []
        for _ in range(len(app.context.focus_targets())):
            await pilot.press("tab")
            said.append(app.screen.query_one("#status").message)
    assert sum("focus: heatmap region=" in s and "Ctrl+Shift+H" in s for s in said) == 2, said
    assert sum("focus: raster region=" in s and "Ctrl+Shift+R" in s for s in said) == 2, said
    app.labels.close()
