"""The texts of a scheme's declaration (name, description, field labels, choices...) checked and
tidied as any typed text is (``payung.base.text``): by the scheme editor and a copy before they
write a file, and by the registry when it loads a scheme, Python or TOML, written by hand."""

from __future__ import annotations

from payung.base.text import LONG_FIELDS, character_problem, length_message, max_chars, tidy


def text_messages(value, where: str = "") -> list[str]:
    """A message for each text of the declaration (name, description, field labels, choices...)
    longer than its key takes (``payung.base.text.max_chars``) or holding characters nobody sees
    or letters that only look Latin (``payung.base.text.character_problem``)."""
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in text_messages(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, (list, tuple)):
        return [m for n, v in enumerate(value, 1) for m in text_messages(v, f"{where}[{n}]")]
    if not isinstance(value, str):
        return []
    key = where.rsplit(".", 1)[-1]
    if len(value) > (limit := max_chars(key)):
        return [length_message(f"Isian {where}", len(value), limit)]
    found = character_problem(f"Isian {where}", value, free_text=key in LONG_FIELDS)
    return [found[1]] if found else []


def tidy_declaration(value, where: str = ""):
    """The declaration with each of its texts as a typed text is stored (``payung.base.text.tidy``,
    by its key as ``text_messages`` reads it): a name with a no-break space or two spaces is the
    name with one."""
    if isinstance(value, dict):
        return {k: tidy_declaration(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy_declaration(v, f"{where}[{n}]") for n, v in enumerate(value, 1)]
    return tidy(where.rsplit(".", 1)[-1], value) if isinstance(value, str) else value
