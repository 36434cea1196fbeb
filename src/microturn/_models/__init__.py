"""Language models behind one small protocol, chosen by name (heavy backends imported lazily).

A session's log records its model by name. A model of your own gets a name with :func:`register_model`;
a replay never builds one (it plays the recorded output back), but the name says what ran.
"""

from __future__ import annotations

from collections.abc import Callable

from microturn._core._clock import Clock, SystemClock
from microturn._models._base import (
    ChatModel,
    EndOfTurnReading,
    ModelRequest,
    Prefilling,
    ToolCall,
    ToolStep,
    end_of_turn_source,
)
from microturn._models._scripted import ScriptedModel
from microturn.errors import UnknownComponent

__all__ = [
    "MODELS",
    "ChatModel",
    "EndOfTurnReading",
    "ModelRequest",
    "Prefilling",
    "ScriptedModel",
    "ToolCall",
    "ToolStep",
    "close_model",
    "end_of_turn_source",
    "make_model",
    "register_model",
]


def _make_embedded(clock: Clock) -> ChatModel:
    from microturn._models._embedded import EmbeddedModel  # llama.cpp loads only when it is used

    return EmbeddedModel(clock=clock)


def _make_openai(clock: Clock) -> ChatModel:
    from microturn._models._roles import build_model, load_roles  # the server's address is in the environment

    return build_model(load_roles(interaction="openai").interaction, role="interaction", clock=clock)


MODELS: dict[str, Callable[[Clock], ChatModel]] = {
    ScriptedModel.name: lambda clock: ScriptedModel(),
    "embedded": _make_embedded,
    "openai": _make_openai,
}


async def close_model(model: ChatModel) -> None:
    """Let go of what a model holds (HTTP connections) on the running loop, if it holds anything."""
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()


def register_model(name: str, factory: Callable[[Clock], ChatModel]) -> None:
    """Make ``name`` a model the config, the CLI's ``--model`` and ``make_model`` know (``factory(clock)``)."""
    MODELS[name] = factory


def make_model(name: str, *, clock: Clock | None = None) -> ChatModel:
    try:
        factory = MODELS[name]
    except KeyError:
        raise UnknownComponent("model", name, sorted(MODELS)) from None
    return factory(clock or SystemClock())
