"""StateConfig: every file form, resolve() order, errors with file:line:key, editing, watching, CLI."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loupe_tui.cli import main as cli_main
from loupe_tui.core.keymap_edit import save_binding, to_toml, with_binding
from loupe_tui.core.states import (KeymapWatcher, StateConfig, bundled_keymap, bundled_keymaps, find_keymap,
                                   user_config_dir)
from loupe_tui.errors import LoupeConfigError

RODENT_TOML = textwrap.dedent("""\
    # my keymap: comments survive edits
    description = "test keymap"

    [states.Wake]   # awake
    keys = ["w", "shift+w"]  # both cases
    color = "#00d128"

    [states.NREM]
    keys = "n"
    colour = [41, 30, 255]

    [states.REM]
    keys = ["r", "3"]
    color = [255, 0, 200, 128]

    [states.Unknown]
    color = "#808080A0"

    [actions]
    # a second key for go-to
    "nav.goto_time" = ["g", "f9"]
    view.hypnogram = ["H"]
    """)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# -- constructors --------------------------------------------------------------
def test_toml_with_comments(tmp_path):
    cfg = StateConfig.from_file(write(tmp_path, "k.toml", RODENT_TOML))
    assert cfg.states == ["Wake", "NREM", "REM", "Unknown"]
    assert dict(cfg.keymap) == {"w": "Wake", "W": "Wake", "n": "NREM", "r": "REM", "3": "REM"}
    assert cfg.colors["Wake"] == (0, 209, 40, 255)
    assert cfg.colors["NREM"] == (41, 30, 255, 255)
    assert cfg.colors["REM"] == (255, 0, 200, 128)
    assert cfg.colors["Unknown"] == (128, 128, 128, 160)
    assert cfg.keys_for("Wake") == ("w", "W") and cfg.keys_for("Unknown") == () and cfg.keys_for("x") == ()
    assert cfg.action_keys["nav.goto_time"] == ("g", "f9")
    assert cfg.action_keys["view.hypnogram"] == ("H",)  # dotted bare key = nested table, flattened
    assert cfg.action_keys["nav.page_next"] == ("]", "pagedown")  # default kept
    assert cfg.key_to_action["f9"] == "nav.goto_time" and "h" not in cfg.key_to_action
    assert dict(cfg.action_overrides) == {"nav.goto_time": ("g", "f9"), "view.hypnogram": ("H",)}
    assert cfg.lookup("w") == ("state", "Wake") and cfg.lookup("]") == ("action", "nav.page_next")
    assert cfg.lookup("q") is None
    assert cfg.description == "test keymap"
    assert cfg.color_for("Never seen") == cfg.color_for("Never seen")  # stable fallback


def test_loupe_json_forward(tmp_path):
    doc = {"keymap": {"w": "Wake", "1": "NREM"}, "label_colors": {"Wake": [0, 209, 40, 60], "NREM": "#291effA0"}}
    cfg = StateConfig.from_file(write(tmp_path, "state_definitions.json", json.dumps(doc, indent=2)))
    assert dict(cfg.keymap) == {"w": "Wake", "1": "NREM"}
    assert cfg.colors == {"Wake": (0, 209, 40, 60), "NREM": (0x29, 0x1E, 0xFF, 0xA0)}


def test_loupe_json_inverse_with_extras(tmp_path):
    doc = {"_comment": "ignored", "description": "d", "keymap": {"Wake": ["w", "W"], "NREM": ["1", "n"]},
           "label_colors": {"Wake": "#00d128", "NREM": [41, 30, 255]}, "actions": {"nav.goto_time": "f9"}}
    cfg = StateConfig.from_file(write(tmp_path, "s.json", json.dumps(doc)))
    assert cfg.keys_for("Wake") == ("w", "W") and cfg.keys_for("NREM") == ("1", "n")
    assert cfg.action_keys["nav.goto_time"] == ("f9",)


def test_dict_constructors_normalise_keys():
    fwd = StateConfig({"Shift+W": "Wake", "PgUp": "REM"}, {"Wake": "#fff000", "REM": "red"},
                      actions={"nav.page_prev": ["["]})
    inv = StateConfig({"Wake": ["W"], "REM": "pageup"}, {"Wake": "#fff000", "REM": "red"},
                      actions={"nav.page_prev": "["})
    assert fwd == inv
    assert dict(fwd.keymap) == {"W": "Wake", "pageup": "REM"}
    assert StateConfig.from_mapping({"keymap": {"w": "Wake"}, "label_colors": {"Wake": (1, 2, 3)}}).states == ["Wake"]


@pytest.mark.parametrize("form, rgba", [([1, 2, 3], (1, 2, 3, 255)), ([1, 2, 3, 4], (1, 2, 3, 4)),
                                        ("#010203", (1, 2, 3, 255)), ("#01020304", (1, 2, 3, 4))])
def test_colour_forms(form, rgba, tmp_path):
    p = write(tmp_path, "c.json", json.dumps({"keymap": {"w": "Wake"}, "label_colors": {"Wake": form}}))
    assert StateConfig.from_file(p).colors["Wake"] == rgba


# -- resolve() -------------------------------------------------------------------
@pytest.fixture
def xdg(tmp_path, monkeypatch):
    cfg_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(cfg_home))
    (cfg_home / "loupe-tui").mkdir(parents=True)
    return cfg_home / "loupe-tui"


def test_resolve_nothing_found_says_where_it_looked(xdg):
    with pytest.raises(LoupeConfigError) as info:
        StateConfig.resolve()
    msg = str(info.value)
    assert str(xdg / "keymap.toml") in msg and "state_definitions.json" in msg and "keymap init" in msg


def test_resolve_user_files_and_order(xdg, tmp_path):
    write(xdg, "state_definitions.json", json.dumps({"keymap": {"j": "Json"}, "label_colors": {"Json": "red"}}))
    assert StateConfig.resolve().states == ["Json"]
    write(xdg, "keymap.toml", RODENT_TOML)  # keymap.toml wins over the JSON
    assert StateConfig.resolve().states[0] == "Wake"
    explicit = write(tmp_path, "e.json", json.dumps({"keymap": {"e": "Explicit"}, "label_colors": {"Explicit": "red"}}))
    assert StateConfig.resolve(explicit).states == ["Explicit"]  # explicit beats the user file


def test_resolve_kwargs_override_per_state(xdg):
    write(xdg, "keymap.toml", RODENT_TOML)
    # inverse kwarg: REM gets exactly these keys and takes "w" away from Wake
    cfg = StateConfig.resolve(keymap={"REM": ["w", "5"]}, label_colors={"Wake": "#ffffff"})
    assert cfg.keys_for("REM") == ("w", "5") and cfg.keys_for("Wake") == ("W",)
    assert cfg.colors["Wake"] == (255, 255, 255, 255) and cfg.colors["NREM"] == (41, 30, 255, 255)
    # forward kwarg; a new state needs a colour
    cfg = StateConfig.resolve(keymap={"x": "Drowsy"}, label_colors={"Drowsy": "yellow"})
    assert cfg.keymap["x"] == "Drowsy" and cfg.keys_for("Wake") == ("w", "W")
    with pytest.raises(LoupeConfigError, match="'Drowsy' has hotkeys but no colour"):
        StateConfig.resolve(keymap={"x": "Drowsy"})
    # action overrides stack on the file's
    cfg = StateConfig.resolve(actions={"nav.page_next": ["pagedown"]})
    assert cfg.action_keys["nav.goto_time"] == ("g", "f9") and cfg.action_keys["nav.page_next"] == ("pagedown",)


def test_resolve_kwargs_alone_and_other_sources(xdg):
    cfg = StateConfig.resolve(keymap={"Wake": ["w"]}, label_colors={"Wake": "#00d128"})
    assert cfg.states == ["Wake"]
    assert StateConfig.resolve("rodent_sleep").states == ["Wake", "NREM", "REM", "Artifact"]
    base = StateConfig.resolve("aasm_human")
    assert StateConfig.resolve(base) is base
    assert StateConfig.resolve({"keymap": {"w": "W"}, "label_colors": {"W": "red"}}).states == ["W"]


def test_user_config_dir_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert user_config_dir() == tmp_path / ".config" / "loupe-tui"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_config_dir() == tmp_path / ".config" / "loupe-tui"


def test_bundled_keymaps_load():
    assert {"rodent_sleep", "aasm_human", "behaviour"} <= set(bundled_keymaps())
    for name, path in bundled_keymaps().items():
        cfg = StateConfig.from_file(path)
        assert cfg.description and all(s in cfg.colors for s in cfg.states)
        assert "#" in path.read_text()  # comments explaining the format
        assert bundled_keymap(name) == path == bundled_keymap(name + ".toml") == find_keymap(name)
        assert find_keymap(name + ".toml") == path
    with pytest.raises(LoupeConfigError, match="rodent_sleep"):
        bundled_keymap("nope")


# -- errors: file, line and key ----------------------------------------------------
TOML_HEAD = '[states.Wake]\nkeys = ["w"]\ncolor = "#00d128"\n'


@pytest.mark.parametrize("name, text, line, says", [
    ("a.toml", TOML_HEAD + '[states.REM]\nkeys = ["r",\n  "w"]\ncolor = "red"\n', 6,
     ["'w'", "two states", "'Wake'", "'REM'"]),
    ("b.toml", TOML_HEAD + '[states.Hyp]\ncolor = "red"\nkeys = ["x", "h"]\n', 6,
     ["'h'", "'Hyp'", "view.hypnogram"]),
    ("c.toml", TOML_HEAD + '\n[actions]\n"view.hypnogram" = ["h"]\n"nav.goto_time" = ["h"]\n', 7,
     ["'h'", "two actions", "nav.goto_time", "view.hypnogram"]),
    ("d.toml", TOML_HEAD + "# REM has no colour\n[states.REM]\nkeys = ['r']\n", 5, ["'REM'", "no colour"]),
    ("e.toml", "# nothing\ndescription = 'empty'\n", None, ["no states"]),
    ("f.toml", TOML_HEAD + '[actions]\n"nav.page_nxt" = ["x"]\n', 5, ["nav.page_nxt", "did you mean 'nav.page_next'"]),
    ("g.toml", TOML_HEAD + '[states.REM]\ncolor = "red"\nkeys = ["r", "pgupp"]\n', 6, ["'pgupp'", "'REM'"]),
    ("h.toml", TOML_HEAD + '[states.REM]\nkeys = ["r"]\ncolor = "#12345"\n', 6, ["'#12345'", "'REM'"]),
    ("i.toml", TOML_HEAD + "[states.REM]\nkeys = [\"r\"\ncolor = 'red'\n", 6, ["syntax error"]),
    ("j.toml", TOML_HEAD + "[states.REM]\nkeys = ['r']\ncolr = 'red'\n", 6, ["'colr'", "'REM'"]),
    ("k.toml", TOML_HEAD + "[extras]\nx = 1\n", 4, ["'extras'"]),
    ("l.json", '{\n "keymap": {\n  "w": "Wake",\n  "w": "REM"\n }\n}', 4, ["'w'", "twice"]),
    ("m.json", '{\n "keymap": {"Wake": ["w"],\n  "REM": ["r", "w"]},\n'
               ' "label_colors": {"Wake": "red", "REM": "red"}\n}', 3, ["'w'", "two states"]),
    ("n.json", '{"keymap": {"w": "Wake"},\n "label_colors": {\n  "Wake": [1, 2]}}', 3, ["'Wake'", "3 or 4"]),
    ("o.json", '{"keymap": {"w": "Wake"},\n "label_colors": {"Wake": "red",}}', 2, ["syntax error"]),
    ("p.json", '{"keymap": {"w": "Wake", "x": "REM"},\n "label_colors": {"Wake": "red"}}', 1,
     ["'REM'", "no colour"]),
    ("q.json", '{"keymap": {"Wake": "w"},\n "label_colors": {"Wake": "red"}}', 1, ["'Wake'", "{key: state}"]),
    ("r.json", '[1, 2]', None, ["object"]),
])
def test_errors_name_file_line_and_key(tmp_path, name, text, line, says):
    path = write(tmp_path, name, text)
    with pytest.raises(LoupeConfigError) as info:
        StateConfig.from_file(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}:" if line else f"{path}:"), msg
    for s in says:
        assert s in msg, (s, msg)


def test_default_action_clash_points_at_the_override(tmp_path):
    path = write(tmp_path, "k.toml", TOML_HEAD + '[actions]\n"nav.goto_time" = ["h"]\n')
    with pytest.raises(LoupeConfigError) as info:
        StateConfig.from_file(path)
    assert f"{path}:5:" in str(info.value) and 'rebind "view.hypnogram" too' in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(LoupeConfigError, match="not found"):
        StateConfig.from_file(tmp_path / "none.toml")
    with pytest.raises(LoupeConfigError, match="directory"):
        StateConfig.from_file(tmp_path)
    (tmp_path / "bin.toml").write_bytes(b'x = "\xff"')
    with pytest.raises(LoupeConfigError, match="bin.toml:1: not UTF-8"):
        StateConfig.from_file(tmp_path / "bin.toml")


# -- editing with comments kept --------------------------------------------------
def test_save_binding_keeps_comments(tmp_path):
    path = write(tmp_path, "k.toml", RODENT_TOML)
    cfg = save_binding(path, state="NREM", keys=["N", "2"])
    text = path.read_text()
    for comment in ("# my keymap: comments survive edits", "# awake", "# both cases", "# a second key for go-to"):
        assert comment in text
    assert cfg.keys_for("NREM") == ("N", "2") and StateConfig.from_file(path) == cfg
    cfg = save_binding(path, action="nav.epoch_next", keys=["l", "."])
    assert cfg.action_keys["nav.epoch_next"] == ("l", ".") and "# awake" in path.read_text()
    cfg = save_binding(path, state="Wake", color="#112233")
    assert cfg.colors["Wake"] == (0x11, 0x22, 0x33, 255) and cfg.keys_for("Wake") == ("w", "W")
    cfg = save_binding(path, state="Drowsy", keys=["d"], color=[200, 200, 0])
    assert cfg.states[-1] == "Drowsy" and '[states.Drowsy]' in path.read_text()


def test_with_binding_clash_steal_and_defaults(tmp_path):
    with pytest.raises(LoupeConfigError, match="two states"):
        with_binding(RODENT_TOML, state="REM", keys=["w"])
    stolen = StateConfig.from_text(with_binding(RODENT_TOML, state="REM", keys=["w", "h"], steal=True))
    assert stolen.keys_for("REM") == ("w", "h") and stolen.keys_for("Wake") == ("W",)
    assert "h" not in stolen.key_to_action and stolen.action_keys["view.hypnogram"] == ("H",)
    stolen = StateConfig.from_text(with_binding(RODENT_TOML, state="REM", keys=["]"], steal=True))
    assert stolen.action_keys["nav.page_next"] == ("pagedown",)
    back = with_binding(RODENT_TOML, action="nav.goto_time", keys=["g"])  # = default: override removed
    assert "nav.goto_time" not in back and "# a second key for go-to" in back
    inline = '[states]\nWake = { keys = ["w"], color = "#00d128" }  # inline\n'
    out = with_binding(inline, state="Wake", keys=["w", "1"])
    assert "# inline" in out and StateConfig.from_text(out).keys_for("Wake") == ("w", "1")
    with pytest.raises(LoupeConfigError, match="did you mean"):
        with_binding(RODENT_TOML, action="nav.goto_tim", keys=["x"])
    with pytest.raises(LoupeConfigError, match="needs a colour"):
        with_binding(RODENT_TOML, state="New", keys=["q"])


def test_save_binding_refuses_json_and_leaves_file_on_clash(tmp_path):
    jpath = write(tmp_path, "s.json", json.dumps({"keymap": {"w": "Wake"}, "label_colors": {"Wake": "red"}}))
    with pytest.raises(LoupeConfigError, match="convert"):
        save_binding(jpath, state="Wake", keys=["x"])
    path = write(tmp_path, "k.toml", RODENT_TOML)
    with pytest.raises(LoupeConfigError):
        save_binding(path, state="REM", keys=["n"])
    assert path.read_text() == RODENT_TOML


def test_to_toml_round_trip(tmp_path):
    doc = {"keymap": {"Wake": ["w", "W"], "NREM": ["1"]}, "label_colors": {"Wake": [0, 209, 40, 60], "NREM": "blue"},
           "actions": {"nav.goto_time": ["f9"]}}
    cfg = StateConfig.from_file(write(tmp_path, "s.json", json.dumps(doc)))
    assert StateConfig.from_text(to_toml(cfg)) == cfg


# -- watching --------------------------------------------------------------------
def test_watcher_reports_changes_and_keeps_old_on_error(tmp_path):
    path = write(tmp_path, "k.toml", RODENT_TOML)
    w = KeymapWatcher(path)
    first = w.poll()
    assert isinstance(first, StateConfig) and w.poll() is None
    st0 = path.stat()
    path.write_text(RODENT_TOML + "[broken\n")
    os.utime(path, ns=(st0.st_atime_ns, st0.st_mtime_ns + 10**9))
    err = w.poll()
    assert isinstance(err, LoupeConfigError) and "k.toml:" in str(err)
    assert w.current == first and w.error is err and w.poll() is None
    path.write_text(RODENT_TOML.replace('"n"', '"N"'))
    os.utime(path, ns=(st0.st_atime_ns, st0.st_mtime_ns + 2 * 10**9))
    new = w.poll()
    assert isinstance(new, StateConfig) and new.keys_for("NREM") == ("N",) and w.current is new
    path.unlink()
    assert isinstance(w.poll(), LoupeConfigError) and w.current is new
    w2 = KeymapWatcher(bundled_keymap("rodent_sleep"), current=StateConfig.resolve("rodent_sleep"))
    assert w2.poll() is None


# -- CLI ------------------------------------------------------------------------------
def test_cli_keymap_check(tmp_path, capsys):
    path = write(tmp_path, "k.toml", RODENT_TOML)
    assert cli_main(["keymap", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "Wake" in out and "#00d128" in out and "w W" in out
    assert "nav.goto_time" in out and "g F9" in out and "* changed by this keymap" in out
    assert cli_main(["keymap", "check", "rodent_sleep", "--states-only"]) == 0
    assert "nav.page_next" not in capsys.readouterr().out
    bad = write(tmp_path, "bad.toml", TOML_HEAD + '[states.REM]\nkeys = ["w"]\ncolor = "red"\n')
    assert cli_main(["keymap", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{bad}:5:" in err and "'w'" in err


def test_cli_keymap_list_init_convert(xdg, tmp_path, capsys):
    assert cli_main(["keymap", "list"]) == 0
    out = capsys.readouterr().out
    assert "rodent_sleep" in out and "aasm_human" in out and "behaviour" in out
    assert cli_main(["keymap", "init", "rodent_sleep"]) == 0
    assert (xdg / "keymap.toml").read_text() == bundled_keymap("rodent_sleep").read_text()
    assert cli_main(["keymap", "init", "rodent_sleep"]) == 2  # exists
    assert cli_main(["keymap", "check"]) == 0 and "Wake" in capsys.readouterr().out
    src = write(tmp_path, "s.json", json.dumps({"keymap": {"w": "Wake"}, "label_colors": {"Wake": "red"}}))
    assert cli_main(["keymap", "convert", str(src), str(tmp_path / "o.toml")]) == 0
    assert StateConfig.from_file(tmp_path / "o.toml") == StateConfig.from_file(src)


def test_cli_keymap_convert_writes_the_format_of_the_output_extension(tmp_path, capsys):
    toml_in = write(tmp_path, "k.toml", RODENT_TOML)
    out = tmp_path / "out.json"
    assert cli_main(["keymap", "convert", str(toml_in), str(out)]) == 0
    doc = json.loads(out.read_text())  # JSON, in Loupe's state-definitions form
    assert doc["keymap"]["Wake"] == ["w", "W"] and doc["label_colors"]["REM"] == [255, 0, 200, 128]
    assert doc["keymap"]["Unknown"] == [] and doc["actions"]["nav.goto_time"] == ["g", "f9"]
    assert StateConfig.from_file(out) == StateConfig.from_file(toml_in)
    back = tmp_path / "back.TOML"
    assert cli_main(["keymap", "convert", str(out), str(back)]) == 0
    assert StateConfig.from_text(back.read_text(), format="toml") == StateConfig.from_file(toml_in)
    for name in ("out.yaml", "noext"):
        assert cli_main(["keymap", "convert", str(toml_in), str(tmp_path / name)]) == 2
        assert ".toml" in capsys.readouterr().err and not (tmp_path / name).exists()


def test_keymap_saves_are_atomic_and_fsync_the_directory(tmp_path, monkeypatch):
    import loupe_tui.core.fsutil as fsutil

    synced = []
    monkeypatch.setattr(fsutil, "fsync_dir", lambda d: synced.append(Path(d)))
    path = write(tmp_path, "k.toml", RODENT_TOML)
    os.chmod(path, 0o640)
    save_binding(path, state="NREM", keys=["N"])
    assert synced == [tmp_path] and (path.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.toml"]


# -- fuzzing: only LoupeConfigError, never anything else ------------------------------
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
atoms = st.one_of(st.text(max_size=6), st.integers(-300, 300), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans(), st.sampled_from(["w", "W", "#00d128", "ctrl+s", "h", "nav.page_next", "red"]))
values = st.recursive(atoms, lambda c: st.one_of(st.lists(c, max_size=4),
                                                 st.dictionaries(st.text(max_size=6), c, max_size=4)), max_leaves=12)
names = st.sampled_from(["keymap", "label_colors", "actions", "states", "description", "keys", "color", "x"])


def _only_config_errors(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except LoupeConfigError as exc:
        assert "\n" not in str(exc).split(": ", 1)[0]


@FUZZ
@given(st.text(max_size=200))
def test_fuzz_random_text(text):
    _only_config_errors(StateConfig.from_text, text, format="toml")
    _only_config_errors(StateConfig.from_text, text, format="json")


@FUZZ
@given(st.dictionaries(names, values, max_size=4))
def test_fuzz_random_json_documents(doc):
    _only_config_errors(StateConfig.from_text, json.dumps(doc), format="json")
    _only_config_errors(StateConfig.from_mapping, doc)


@FUZZ
@given(st.dictionaries(st.text(max_size=5), st.dictionaries(names, values, max_size=3), max_size=3),
       st.dictionaries(st.sampled_from(["nav.page_next", "view.hypnogram", "nav.x", "app"]), values, max_size=3))
def test_fuzz_random_toml_documents(states, actions):
    try:
        text = tomlkit.dumps({"states": states, "actions": actions})
    except Exception:
        return  # tomlkit cannot write this value; not our parser's business
    _only_config_errors(StateConfig.from_text, text, format="toml")


def test_unknown_states_get_distinct_colours_never_grey_nor_a_keymap_colour():
    cfg = StateConfig.from_file(bundled_keymap("rodent_sleep"))
    taken = [cfg.colors[s][:3] for s in cfg.states]
    names = ["Unknown", "Spindle", "Seizure", "Microarousal", "Other", "Unscored", "X"]
    for name in names:
        c = cfg.color_for(name)
        assert c == cfg.color_for(name)                                     # the same every time
        assert max(c[:3]) - min(c[:3]) > 60, (name, c)                      # not a grey (Artifact is grey)
        assert all(sum((a - b) ** 2 for a, b in zip(c, t)) >= 120 ** 2 for t in taken), (name, c)
