"""Which states to score with when the labels already name theirs.

:meth:`StateConfig.resolve` follows Loupe: explicit definitions, else the
user's keymap, else an error. A labels file opened from the command line
names its states, so refusing it is unhelpful (``loupe-tui open eog.zarr
--labels hypno.txt``). :func:`choose_states` adds, after Loupe's sources,
two fallbacks, and says which one it took:

1. definitions given (``--keymap`` / ``state_definitions=`` / ``keymap=`` /
   ``label_colors=``) win; then the user's keymap file (as in Loupe);
2. else a bundled keymap whose states include every state of the labels
   (``aasm_human`` for W/N1/N2/N3/R, ``rodent_sleep`` for Wake/NREM/REM);
   of several, the one with the fewest other states, then by name;
3. else the labels' own states, in order of first use, with distinct
   colours and the hotkeys 1..9 (states after the ninth get a colour only).

Fallbacks 2 and 3 apply only when asked (``guess=True``: the command line);
``view()`` keeps Loupe's rule that no definitions at all is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loupe_tui.core.colors import STATE_PALETTE, color_difference, distinct_color
from loupe_tui.core.states import StateConfig, bundled_keymaps, nothing_found_message, user_keymap_path
from loupe_tui.errors import LoupeConfigError, join_names

#: Hotkeys given to the states of a labels file, in order (0 clears labels; letters are action keys).
LABEL_STATE_KEYS = tuple("123456789")


@dataclass(frozen=True)
class StateChoice:
    """The states to score with and, when worth saying, where they came from.

    Attributes
    ----------
    states : StateConfig
    note : str or None
        One line for the status bar (``None`` when the user chose the keymap
        and it has every state of the labels).
    """

    states: StateConfig
    note: str | None = None


def choose_states(label_states: Sequence[str], state_definitions: Any = None,
                  keymap: Mapping[Any, Any] | None = None, label_colors: Mapping[Any, Any] | None = None, *,
                  guess: bool = False, switch: str = "state_definitions=") -> StateChoice:
    """The states for labels naming ``label_states`` (see the module docstring).

    Parameters
    ----------
    label_states : sequence of str
        States used by the labels, in order of first use.
    state_definitions, keymap, label_colors
        As :meth:`StateConfig.resolve`.
    guess : bool
        Fall back to a bundled keymap or the labels' states when nothing is given.
    switch : str
        How the user passes a keymap, for messages (``"--keymap"`` on the command line).

    Raises
    ------
    LoupeConfigError
        Invalid definitions; or nothing defines any state and nothing can be
        guessed (the message says what to pass).
    """
    label_states = list(dict.fromkeys(label_states))
    given = any(v is not None for v in (state_definitions, keymap, label_colors))
    if given or user_keymap_path() is not None:
        states = StateConfig.resolve(state_definitions, keymap, label_colors)
        return StateChoice(states, _missing_note(states, label_states, switch))
    found = covering_keymap(label_states) if label_states else None
    if guess and found is not None:
        name, states = found
        return StateChoice(states, f"states from the bundled keymap {name} (it has the labels' states "
                                   f"{join_names(label_states)}); {switch} chooses another")
    if guess and label_states:
        states = states_from_labels(label_states)
        keyed = ", ".join(f"{k} {s}" for s, k in zip(label_states, LABEL_STATE_KEYS))
        return StateChoice(states, f"states from the labels (no bundled keymap has them all): {keyed}; "
                                   f"{switch} chooses a keymap")
    hint = None
    if found is not None:
        name = f'"{found[0]}"' if switch.endswith("=") else f" {found[0]}"
        hint = f"{switch}{name} has the labels' states"
    raise LoupeConfigError(nothing_found_message(switch, hint))


def covering_keymap(label_states: Sequence[str]) -> tuple[str, StateConfig] | None:
    """``(name, states)`` of the bundled keymap that has every one of ``label_states``
    and the fewest other states (ties: by name), or None."""
    want = set(label_states)
    best: tuple[int, str, StateConfig] | None = None
    for name, path in bundled_keymaps().items():
        states = StateConfig.from_file(path)
        have = set(states.states)
        if want <= have and (best is None or len(have) < best[0]):
            best = (len(have), name, states)
    return None if best is None else (best[1], best[2])


def states_from_labels(label_states: Sequence[str]) -> StateConfig:
    """States named by labels: hotkeys 1..9 in order, mutually distinct colours."""
    names = list(dict.fromkeys(label_states))
    if not names:
        raise LoupeConfigError("states_from_labels: the labels name no states")
    palette = _spread(STATE_PALETTE)
    colors: dict[str, tuple] = {}
    for i, name in enumerate(names):
        colors[name] = palette[i] if i < len(palette) else distinct_color(name, list(colors.values()))
    keys = {name: [key] for name, key in zip(names, LABEL_STATE_KEYS)}
    return StateConfig(keys, colors, source="the labels' states",
                       description="States of the labels file (hotkeys 1-9 in order of first use)")


def _spread(palette: Sequence[tuple]) -> list[tuple]:
    """``palette`` reordered so that each colour is the one farthest (CIEDE2000) from those
    before it: the first nine, the hotkey states, differ by 20 or more."""
    out = [palette[0]]
    rest = list(palette[1:])
    while rest:
        best = max(rest, key=lambda c: min(color_difference(c, o) for o in out))
        out.append(best)
        rest.remove(best)
    return out


def _missing_note(states: StateConfig, label_states: Sequence[str], switch: str) -> str | None:
    missing = [s for s in label_states if s not in states.states]
    if not missing:
        return None
    src = states.source
    where = src.name if isinstance(src, Path) else str(src) if src is not None else "the keymap"
    return (f"labels' states {join_names(missing)} are not in {where}: drawn in their own colours, "
            f"without hotkeys ({switch} chooses another keymap)")
