"""The user's key map: a TOML file in the platformdirs config directory,
`user_config_dir("tracker")/keys.toml`, mapping binding ids to keys:

    [keys]
    fire = "f2"                 # every binding whose id ends in `.fire` (items and item screens)
    "items.history" = "y"       # one binding, by its full id
    "table.vim_down" = "j,ctrl+n"   # several keys: comma-separated

Applied with Textual's keymap support (`App.set_keymap`), so the footer and the help screen
show the keys in force. A file that cannot be read, names a binding that does not exist, or
puts two bindings of one screen on one key (only the first would work) is reported in a
notification, and `?` shows such a key; the app starts with what could be applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from textual.binding import Binding

from ..tomlfile import without_bom


def keys_file() -> Path:
    """Where the user's key map lives."""
    return Path(user_config_dir("tracker")) / "keys.toml"


def binding_ids(classes: Iterable[type[Any]]) -> set[str]:
    """Every binding id of `classes` (the app lists every class of the TUI with bindings:
    `tracker.tui.app.binding_classes`): what a key map may name."""
    found: set[str] = set()
    for cls in classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                found.add(binding.id)
    return found


def collisions(keymap: Mapping[str, str], classes: Iterable[type[Any]]) -> list[str]:
    """Keys that `keymap` puts on two bindings of one of `classes` (a screen or widget):
    Textual runs only the first of them, so the other is lost. One line each, for the
    start-up warning (`?` shows them too, on the screen concerned)."""
    from textual.app import App

    wanted = App._normalize_keymap(dict(keymap))
    problems: list[str] = []
    for cls in classes:
        on_key: dict[str, list[str]] = {}
        for binding in cls.BINDINGS:
            if not isinstance(binding, Binding) or not binding.id:
                continue
            keys = wanted.get(binding.id, App._normalize_keymap({"": binding.key})[""])
            for key in keys.split(","):
                on_key.setdefault(key.strip(), []).append(binding.id)
        for key, ids in on_key.items():
            rebound = [i for i in ids if i in wanted]
            if len(ids) > 1 and rebound:
                # Textual keeps the binding the key map moved and drops the other one.
                lost = ", ".join([i for i in ids if i not in wanted] or ids[1:])
                problems.append(f"{key} is on {' and '.join(ids)}: {lost} no longer works")
    return problems


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def parse_keymap(text: str, known: set[str]) -> tuple[dict[str, str], list[str]]:
    """The key map in `text` (TOML) and the problems found in it (each one line)."""
    import tomllib  # only when there is a key map: not on every start

    try:
        data = tomllib.loads(without_bom(text))
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"not valid TOML ({exc}); default keys in use"]
    keys = data.get("keys")
    if keys is None:
        return {}, ["no [keys] table; default keys in use"]
    if not isinstance(keys, Mapping):
        return {}, ['[keys] must be a table of binding id = "key"; default keys in use']
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for name, value in _flatten(keys).items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f'{name}: the key must be a string such as "f2" or "ctrl+f"')
            continue
        value = ",".join(part.strip() for part in value.split(","))
        if name in known:
            keymap[name] = value
            continue
        matching = sorted(i for i in known if i.rsplit(".", 1)[-1] == name)
        if not matching:
            problems.append(f"{name}: no such binding")
        for binding_id in matching:
            keymap[binding_id] = value
    return keymap, problems


def load_keymap(path: Path, known: Callable[[], set[str]]) -> tuple[dict[str, str], list[str]]:
    """The key map in the file at `path` (none if there is no file) and its problems;
    `known()` gives the binding ids it may name (asked only when there is a file: it imports
    every screen)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"cannot read it ({exc}); default keys in use"]
    return parse_keymap(text, known())
