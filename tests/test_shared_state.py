"""No session mixed with another's state (issue 24): Streamlit runs every session in one
process, so whatever a ``ui`` module keeps at module level is shared by all of them. Pages are
run afresh for each run (their globals are that run's); ``ui`` modules are imported once. Their
module-level values must be read-only: a session's state lives in ``st.session_state``, shared
data in the database, and caches are keyed on the data version and the actor's scope."""

from __future__ import annotations

import importlib
import pkgutil
import types

import ui

#: Types whose values a session could change for every other session.
MUTABLE = (dict, list, set, bytearray)


def mutable_globals(module: types.ModuleType) -> list[str]:
    return [f"{module.__name__}.{name}: {type(value).__name__}" for name, value in vars(module).items()
            if not name.startswith("__") and isinstance(value, MUTABLE)]


def test_ui_modules_keep_no_mutable_state_at_module_level():
    found = [g for info in pkgutil.iter_modules(ui.__path__)
             for g in mutable_globals(importlib.import_module(f"ui.{info.name}"))]
    assert not found, "module-level state shared by every session (make it read-only or per session):\n" + \
        "\n".join(found)


def test_a_planted_mutable_global_is_found():
    module = types.ModuleType("ui.planted")
    module.SEEN = {}
    module.LABELS = types.MappingProxyType({"a": "b"})
    assert mutable_globals(module) == ["ui.planted.SEEN: dict"]
