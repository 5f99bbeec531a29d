"""Errors a user can act on. Interfaces turn them into exit codes or JSON errors; nothing else catches them."""

from __future__ import annotations


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
    """The corpus files are broken; the message names every problem with file, line and field."""

    code = "invalid_corpus"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the corpus:" if len(problems) > 1 else "problem in the corpus:"
        super().__init__(head + "\n  " + "\n  ".join(problems))


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
