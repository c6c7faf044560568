"""Errors and problems: every message here is shown to the user, so it is in Indonesian."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field (or None for the whole form) and why.

    ``rule`` names the check that failed, so tests and the UI can tell rules apart.
    """

    field: str | None
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return self.message


class PayungError(Exception):
    """Base of every error Payung raises on purpose; its text is for the user."""


class ConfigError(PayungError):
    """``config.toml`` is missing, unreadable or inconsistent."""


class ValidationError(PayungError):
    """An input was refused. ``problems`` lists every reason, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def for_field(self, name: str | None) -> list[str]:
        return [p.message for p in self.problems if p.field == name]


class NotFound(PayungError):
    """A record the caller asked for does not exist (or is not visible to them)."""
