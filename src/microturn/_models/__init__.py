"""Language models behind one small protocol, chosen by name."""

from __future__ import annotations

from microturn._models._base import ChatModel, ModelRequest
from microturn._models.scripted import ScriptedModel
from microturn.errors import ConfigError

__all__ = ["MODELS", "ChatModel", "ModelRequest", "ScriptedModel", "make_model"]

MODELS: dict[str, type[ChatModel]] = {
    ScriptedModel.name: ScriptedModel,
}


def make_model(name: str) -> ChatModel:
    try:
        return MODELS[name]()
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(f"unknown model {name!r}; choose one of: {known}") from None
