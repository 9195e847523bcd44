"""Widgets drawn whole into cached strips redraw when their width changes, not only their height."""

from textual.app import App
from textual.strip import Strip

from loupe_tui.tui.widgets.draw import CachedLines
from tui_helpers import sync


class Ruler(CachedLines):
    renders = 0

    def _render_all(self):
        Ruler.renders += 1
        return [Strip.blank(self.size.width)] * self.size.height


class Host(App):
    CSS = "Ruler { height: 3; }"

    def compose(self):
        yield Ruler()


@sync
async def test_a_width_change_redraws_at_the_new_width():
    async with Host().run_test(size=(80, 10)) as pilot:
        ruler = pilot.app.query_one(Ruler)
        await pilot.pause()
        assert ruler.render_line(0).cell_length == 80
        await pilot.resize_terminal(60, 10)   # same height, narrower (a docked panel appears)
        await pilot.pause()
        assert ruler.render_line(0).cell_length == 60
        before = Ruler.renders
        ruler.render_line(1)                  # cached while nothing changes
        assert Ruler.renders == before
        ruler.invalidate()
        ruler.render_line(0)
        assert Ruler.renders == before + 1
