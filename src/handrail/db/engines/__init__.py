"""One module per database engine, each exposing `ENGINE`, an implementation of `handrail.db.engine.Engine`."""

from __future__ import annotations

import importlib

from handrail.db.engine import Engine

ENGINE_NAMES = ("sqlite", "postgresql", "mysql")


def load_engine(name: str) -> Engine:
    if name not in ENGINE_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"handrail.db.engines.{name}").ENGINE
