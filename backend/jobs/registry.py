"""Job types and their handlers. A domain registers a handler with @job_handler("type").

The runner imports HANDLER_MODULES (plus any configured extra modules) before dispatching.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.jobs.runner import JobContext

Handler = Callable[["JobContext"], dict[str, Any] | None]

HANDLER_MODULES = ["backend.jobs.handlers"]
_HANDLERS: dict[str, Handler] = {}
_loaded = False


def job_handler(type_: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[type_] = fn
        return fn

    return register


def load_handlers() -> None:
    global _loaded
    if _loaded:
        return
    from backend.core.config import get_settings
    from backend.domains import JOB_MODULES

    for module in [*HANDLER_MODULES, *JOB_MODULES, *get_settings().extra_job_modules]:
        importlib.import_module(module)
    _loaded = True


def get_handler(type_: str) -> Handler | None:
    load_handlers()
    return _HANDLERS.get(type_)


def known_types() -> set[str]:
    load_handlers()
    return set(_HANDLERS)
