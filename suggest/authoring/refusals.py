"""Why a change was not made, as exceptions an interface can answer with.

The service, the draft checks and the import all refuse changes the same few ways. Each carries a `code` and
what an interface needs to show it (`details()`); which HTTP status a code gets is the web layer's business
(webapp/errors.py), as an exit code is the CLI's. Keeping them apart from the service lets the views and the
other modules raise and catch them without importing the service itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SuggestError

if TYPE_CHECKING:
    from .draft_checks import Check


class EditError(SuggestError):
    """A change that was not made; `code` says which way it was refused."""

    code = "edit_refused"

    def details(self) -> dict:
        return {}


class Invalid(EditError):
    code = "invalid"

    def __init__(self, problems: list[dict], message: str = "内容有误，未保存") -> None:
        super().__init__(message + "：" + "；".join(p["message"] for p in problems[:5]))
        self.short = message
        self.problems = problems

    def details(self) -> dict:
        return {"problems": self.problems}


class Blocked(EditError):
    code = "blocked"

    def __init__(self, check: "Check") -> None:
        words = "、".join(f"“{f.word}”" for f in check.blocking)
        super().__init__(f"含有不允许的用语 {words}，未保存")
        self.check = check

    def details(self) -> dict:
        return {"check": self.check.to_dict()}


class NeedsConfirmation(EditError):
    code = "needs_confirmation"

    def __init__(self, check: "Check") -> None:
        super().__init__(f"有 {len(check.warnings)} 条提醒需要确认；确认无误后选择“仍然保存”")
        self.check = check

    def details(self) -> dict:
        return {"check": self.check.to_dict()}


class Conflict(EditError):
    code = "conflict"

    def __init__(self, message: str, theirs: dict | None, yours: dict | None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.yours = yours
        self.extra = extra or {}

    def details(self) -> dict:
        return {"theirs": self.theirs, "yours": self.yours, **self.extra}


class Missing(EditError):
    code = "not_found"
