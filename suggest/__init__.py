"""huashu-suggest: reply suggestions (话术) for Chinese e-commerce customer service.

The house, by concern (data flows one way: corpus → engine → interfaces):

* ``suggest.corpus``    the corpus on disk: files, import/export, spreadsheets, compliance lint, the shop profile
* ``suggest.engine``    answering a message: normalise, split, embed, retrieve, fuse, rank (`Suggester`)
* ``suggest.authoring`` what editors do: the editing service, audit history, editor accounts
* ``suggest.usage``     what agents do: the feedback log, masking, analytics
* ``suggest.tools``     developer tools: evaluate, benchmark, loadtest, serving helpers
* ``suggest.cli``       the `suggest` command group, a thin shell over the packages
* ``settings``, ``errors``, ``records``, ``database``: shared by every package

Public face: `Suggester` and `Settings` (imported lazily, so `import suggest` stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Suggester", "Settings", "load_settings"]

if TYPE_CHECKING:
    from .engine.suggester import Suggester
    from .settings import Settings, load_settings


def __getattr__(name: str):
    if name == "Suggester":
        from .engine.suggester import Suggester
        return Suggester
    if name in ("Settings", "load_settings"):
        from . import settings
        return getattr(settings, name)
    raise AttributeError(f"module 'suggest' has no attribute {name!r}")
