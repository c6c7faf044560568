"""Schemes and the plugin system: the Scheme model, the hook specifications, the plugin registry,
the rule library, form fields, TOML declarations, the DataReader plugins read through, Salin
skema and the ``new-scheme`` scaffold. ``payung.plugin`` exposes what plugins need of it.

Imports ``payung.base``, ``payung.auth`` and ``db`` (and ``payung.compat`` for old names).
"""


def __getattr__(name: str):
    """``payung.schemes`` was the Scheme model's module before 0.6: its names still resolve,
    with a DeprecationWarning (``payung.compat``)."""
    import importlib
    import importlib.util
    import warnings

    from payung.compat import OLD_SCHEMES_MODULE, moved_message
    model = importlib.import_module(OLD_SCHEMES_MODULE)
    if name.startswith("_") or not hasattr(model, name) or importlib.util.find_spec(f"{__name__}.{name}"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(moved_message(f"payung.schemes.{name}", f"{OLD_SCHEMES_MODULE}.{name}"), DeprecationWarning,
                  stacklevel=2)
    return getattr(model, name)
