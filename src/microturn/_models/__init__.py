"""Language models behind one small protocol, chosen by name (heavy backends imported lazily)."""

from __future__ import annotations

from collections.abc import Callable

from microturn._clock import Clock, SystemClock
from microturn._models._base import ChatModel, ModelRequest, Prefilling
from microturn._models.scripted import ScriptedModel
from microturn.errors import ConfigError

__all__ = ["MODELS", "ChatModel", "ModelRequest", "Prefilling", "ScriptedModel", "make_model"]


def _embedded(clock: Clock) -> ChatModel:
    from microturn._models.embedded import EmbeddedModel  # llama.cpp loads only when it is used

    return EmbeddedModel(clock=clock)


MODELS: dict[str, Callable[[Clock], ChatModel]] = {
    ScriptedModel.name: lambda clock: ScriptedModel(),
    "embedded": _embedded,
}


def make_model(name: str, *, clock: Clock | None = None) -> ChatModel:
    try:
        factory = MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(f"unknown model {name!r}; choose one of: {known}") from None
    return factory(clock or SystemClock())
