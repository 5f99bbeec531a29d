"""Errors a user can act on. Interfaces turn them into exit codes or JSON errors; nothing else catches them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .records import Problem


class SuggestError(Exception):
    """Base class: `str(err)` is a complete message meant for the person who has to fix it."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:  # a more precise code than the class's, for interfaces that report codes (the API)
            self.code = code


class InputError(SuggestError):
    """A caller sent something unusable (empty message, message too long, bad option)."""

    code = "invalid_input"


class CorpusError(SuggestError):
    """The corpus files are broken. `problems` says what is wrong as data (field, code, values, file:line), for
    each interface to word in its language; the message is their English wording, for the CLI and logs."""

    code = "invalid_corpus"

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        # Worded on demand: this module is imported by every package, the wording lives with the corpus checks.
        from .corpus.problems import as_problem, describe

        self.problems: list[Problem] = [as_problem(p) for p in problems]
        head = f"{len(problems)} problem(s) in the corpus:" if len(problems) > 1 else "problem in the corpus:"
        super().__init__(head + "\n  " + "\n  ".join(describe(p) for p in self.problems))


class IndexError_(SuggestError):
    """The index directory is missing, corrupt or built for another model."""

    code = "invalid_index"


class ModelError(SuggestError):
    """The embedding model cannot be found or loaded."""

    code = "model_unavailable"


class NotFound(SuggestError):
    code = "not_found"


class ConfigError(SuggestError):
    code = "invalid_config"
