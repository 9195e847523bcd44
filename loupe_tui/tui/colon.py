"""The ``:`` command line: commands that are quicker typed than bound.

Pure parsing and completion (no Textual); :func:`loupe_tui.tui.actions.run_command` runs
the parsed :class:`Command`. Like phy's snippets (``:c 47 49``) and vim's
``:w``/``:q``. The table below is also what the help screen lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from loupe_tui.errors import LoupeConfigError


@dataclass(frozen=True)
class Spec:
    name: str
    aliases: tuple[str, ...]
    arg: str            # "" (none), "time", "int", "state", "text", "path", "onoff", "clock", "chain"
    optional: bool
    help: str


COMMANDS: tuple[Spec, ...] = (
    Spec("goto", ("g",), "time", False, "go to a time: :goto 3:25:10 (also 12345, 1h30m; on the clock "
         ":goto 02:30, :goto d2 02:30)"),
    Spec("epoch", ("e",), "int", False, "go to epoch N (1-based, as in the status bar): :epoch 10"),
    Spec("window", ("win",), "time", False, "window length: :window 30 (seconds or 1m, 2:00)"),
    Spec("epochlen", ("el",), "time", False, "epoch length in seconds: :epochlen 30"),
    Spec("jump", ("j",), "state", False, "next epoch labelled STATE (F3 / Shift+F3 repeat): :jump REM"),
    Spec("back", ("b",), "state", False, "previous epoch labelled STATE: :back REM"),
    Spec("find", ("/",), "text", False, "next label whose note contains TEXT (F3 repeats)"),
    Spec("label", ("l",), "state", False, "label the selection or epoch as any state: :label Artifact"),
    Spec("note", ("n",), "text", True, "note on the label at the cursor (empty clears it)"),
    Spec("unscored", ("u",), "", False, "next unscored epoch"),
    Spec("auto", (), "onoff", True, "auto-advance on/off (no argument toggles)"),
    Spec("time", ("clock",), "clock", True, "times on the clock or since the start: :time clock, :time elapsed "
         "(no argument toggles)"),
    Spec("filter", ("f",), "chain", False, "display filter of the focused trace: :filter eeg, notch50 (presets "
         "eeg, emg, notch50, notch60; 0.5-30, hp:0.5, lp:35, notch:50); :filter off"),
    Spec("undo", (), "", False, "undo the last label edit"),
    Spec("redo", (), "", False, "redo"),
    Spec("export", ("saveas",), "path", False, "write a copy: :export night1.htsv (.csv, .htsv, .parquet)"),
    Spec("w", ("write", "save"), "path", True, "save (:w FILE writes a copy, like :export)"),
    Spec("wq", ("x",), "", False, "save and quit"),
    Spec("q", ("quit",), "", False, "quit (asks when edits are unsaved; they stay in the journal)"),
    Spec("q!", ("quit!",), "", False, "quit without asking (unsaved edits stay in the journal)"),
    Spec("table", ("labels",), "", False, "the label table: every interval, Enter jumps, e edits"),
    Spec("events", (), "", False, "global event styles (colour, line style, width, alpha)"),
    Spec("alpha", (), "", False, "label overlay shading (alpha, shown)"),
    Spec("speed", (), "", False, "video playback speed"),
    Spec("target", (), "", False, "which video Left/Right step"),
    Spec("videos", (), "", False, "show or hide each video"),
    Spec("help", ("h", "?"), "", False, "keys, states and commands"),
)

_BY_NAME = {n: c for c in COMMANDS for n in (c.name, *c.aliases)}


@dataclass(frozen=True)
class Command:
    """A parsed command line: canonical ``name`` and its argument (may be empty)."""

    name: str
    arg: str = ""


def parse(line: str) -> Command:
    """Parse ``"goto 3:25:10"`` (a leading ``:`` is allowed).

    Raises
    ------
    LoupeConfigError
        Unknown command, or a missing argument; the message says the usage.
    """
    text = line.strip().lstrip(":").strip()
    if not text:
        raise LoupeConfigError("empty command: try :help")
    word, _, rest = text.partition(" ")
    if word.startswith("/") and word != "/":
        word, rest = "/", text[1:]
    spec = _BY_NAME.get(word) or _BY_NAME.get(word.lower())
    if spec is None:
        near = [c.name for c in COMMANDS if c.name.startswith(word.lower()[:2])]
        hint = f" (did you mean :{near[0]}?)" if near else ""
        raise LoupeConfigError(f"unknown command :{word}{hint}; :help lists them")
    arg = rest.strip()
    if spec.arg and not arg and not spec.optional:
        raise LoupeConfigError(f":{spec.name} needs {usage(spec)}")
    if not spec.arg and arg:
        raise LoupeConfigError(f":{spec.name} takes no argument")
    return Command(spec.name, arg)


def usage(spec: Spec) -> str:
    return {"time": "a time or duration", "int": "a number", "state": "a state name", "text": "some text",
            "path": "a file path", "onoff": "on or off", "clock": "clock or elapsed",
            "chain": "a filter chain (eeg, notch50) or off"}.get(spec.arg, "no argument")


def complete(line: str, states: list[str]) -> tuple[str, list[str]]:
    """Tab completion: ``(new line, candidates)``.

    The command word completes against the command names; the argument of a
    state command against ``states``. With one candidate the line is
    completed (plus a space after a command); with several, extended to
    their common prefix.
    """
    text = line.lstrip(":")
    word, sep, rest = text.partition(" ")
    if not sep:
        names = sorted({c.name for c in COMMANDS} | {a for c in COMMANDS for a in c.aliases if len(a) > 2})
        cands = [n for n in names if n.startswith(word)]
        return _extend(word, cands, lambda c: c + (" " if _BY_NAME[c].arg else "")), cands
    spec = _BY_NAME.get(word)
    if spec is None or spec.arg != "state":
        return line.lstrip(":"), []
    cands = [s for s in states if s.lower().startswith(rest.strip().lower())]
    new = _extend(rest.strip(), cands, lambda c: c)
    return f"{word} {new}", cands


def _extend(prefix: str, cands: list[str], finish) -> str:
    if not cands:
        return prefix
    if len(cands) == 1:
        return finish(cands[0])
    common = cands[0]
    for c in cands[1:]:
        while not c.lower().startswith(common.lower()):
            common = common[:-1]
    return common if len(common) > len(prefix) else prefix
