"""View dialogs: modal forms that return a result dataclass via ``dismiss``.

A result carries settings (the dataclasses of :mod:`loupe_tui.tui.view`),
never messages: the screen hands them to the view model, and the bridge
tells the GL window what changed::

    def done(result):
        if result is not None:
            screen.apply(screen.view.set_dense(result.settings))
    self.app.push_screen(DenseDialog(settings, n_traces), done)
"""
