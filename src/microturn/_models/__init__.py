"""Language models behind one small protocol, chosen by name (heavy backends imported lazily)."""

from __future__ import annotations

from collections.abc import Callable

from microturn._clock import Clock, SystemClock
from microturn._models._base import ChatModel, ModelRequest, Prefilling, ToolCall, ToolStep
from microturn._models.scripted import ScriptedModel
from microturn.errors import ConfigError

__all__ = [
    "MODELS",
    "ChatModel",
    "ModelRequest",
    "Prefilling",
    "ScriptedModel",
    "ToolCall",
    "ToolStep",
    "close_model",
    "make_model",
]


def _embedded(clock: Clock) -> ChatModel:
    from microturn._models.embedded import EmbeddedModel  # llama.cpp loads only when it is used

    return EmbeddedModel(clock=clock)


def _openai(clock: Clock) -> ChatModel:
    from microturn._models._roles import build_model, load_roles  # the server's address is in the environment

    return build_model(load_roles(interaction="openai").interaction, role="interaction", clock=clock)


MODELS: dict[str, Callable[[Clock], ChatModel]] = {
    ScriptedModel.name: lambda clock: ScriptedModel(),
    "embedded": _embedded,
    "openai": _openai,
}


async def close_model(model: ChatModel) -> None:
    """Let go of what a model holds (HTTP connections) on the running loop, if it holds anything."""
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()


def make_model(name: str, *, clock: Clock | None = None) -> ChatModel:
    try:
        factory = MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(f"unknown model {name!r}; choose one of: {known}") from None
    return factory(clock or SystemClock())
