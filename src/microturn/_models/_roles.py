"""Which model plays each role: the interaction model (fast, always on) and the background model (deep work).

Each role is chosen independently, from (first wins) a command-line flag, the environment, and a TOML
config file; by default the interaction model is the embedded one, and the background role is played by
the same model as the interaction role (its own instance), so a job is real work unless a fake is asked
for by name (``scripted``). The config file names a model and, for an OpenAI-compatible server,
where it is; an API key never sits in the file, only the name of the environment variable holding it::

    [interaction]
    model = "embedded"

    [background]
    model = "openai"
    base_url = "http://127.0.0.1:8000/v1"
    name = "qwen2.5-7b-instruct"
    api_key_env = "MY_SERVER_KEY"
    context_tokens = 32768

Environment: ``MICROTURN_MODEL`` and ``MICROTURN_BACKGROUND_MODEL`` name the models;
``MICROTURN_OPENAI_BASE_URL``, ``MICROTURN_OPENAI_MODEL`` and ``MICROTURN_OPENAI_API_KEY`` say where an
OpenAI-compatible server is (``MICROTURN_OPENAI_CONTEXT_TOKENS``: its context window, 4096 by default),
and ``MICROTURN_BACKGROUND_OPENAI_*`` override them for the background role.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import msgspec

from microturn._core._clock import Clock
from microturn._models._base import ChatModel
from microturn.errors import ConfigError

__all__ = ["ModelChoice", "ModelRoles", "build_model", "load_roles"]

_DEFAULT = "embedded"
"""The interaction model when none is named; the background model follows the interaction model."""
_KINDS = ("scripted", "embedded", "openai")


class ModelChoice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    model: str = ""
    """scripted (a deterministic fake), embedded (Gemma 3 270M through llama.cpp) or openai (a server)."""
    base_url: str = ""
    """For openai: the server's address, up to and including /v1."""
    name: str = ""
    """For openai: the model's name on the server."""
    api_key_env: str = ""
    """For openai: the environment variable that holds the API key (the key itself never goes in a file)."""
    context_tokens: int = 0
    """For openai: the server's context window in tokens, prompt and reply (0: 4096); prompts are fitted to it."""


class ModelRoles(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    interaction: ModelChoice = ModelChoice()
    background: ModelChoice = ModelChoice()


def load_roles(
    *,
    config_file: Path | None = None,
    interaction: str | None = None,
    background: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ModelRoles:
    """Each role's model: the flags (``interaction``, ``background``) over the environment over the file."""
    env = os.environ if environ is None else environ
    path = config_file or (Path(env["MICROTURN_CONFIG"]) if env.get("MICROTURN_CONFIG") else None)
    found = _read(path) if path is not None else ModelRoles()
    talks = _resolve("interaction", found.interaction, interaction, env, default=_DEFAULT)
    works = _resolve("background", found.background, background, env, default="")
    return ModelRoles(interaction=talks, background=works if works.model else talks)


def _read(path: Path) -> ModelRoles:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"the config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    try:
        return msgspec.convert(data, ModelRoles)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"the config file {path} is invalid: {exc} (sections: [interaction], [background])") from None


def _prefix(role: str) -> str:
    return "MICROTURN_" if role == "interaction" else "MICROTURN_BACKGROUND_"


def _resolve(role: str, found: ModelChoice, flag: str | None, env: Mapping[str, str], *, default: str) -> ModelChoice:
    """The role's choice; an empty one if no model is named anywhere and ``default`` is empty."""
    prefix = _prefix(role)

    def setting(name: str, from_file: str) -> str:
        for key in (f"{prefix}OPENAI_{name}", f"MICROTURN_OPENAI_{name}"):
            if env.get(key, "").strip():
                return env[key].strip()
        return from_file

    model = flag or env.get(f"{prefix}MODEL", "").strip() or found.model or default
    if not model:
        return ModelChoice()
    if model not in _KINDS:
        raise ConfigError(f"unknown {role} model {model!r}; choose one of: {', '.join(_KINDS)}")
    choice = ModelChoice(
        model=model,
        base_url=setting("BASE_URL", found.base_url),
        name=setting("MODEL", found.name),
        api_key_env=found.api_key_env,
        context_tokens=_tokens(role, setting("CONTEXT_TOKENS", str(found.context_tokens))),
    )
    if model == "openai" and (not choice.base_url or not choice.name):
        raise ConfigError(
            f"the {role} model 'openai' needs a server and a model name: set {prefix}OPENAI_BASE_URL (for example "
            f"http://127.0.0.1:8000/v1) and {prefix}OPENAI_MODEL, or base_url and name under [{role}] in the "
            "config file"
        )
    return choice


def _tokens(role: str, value: str) -> int:
    if not value.isdigit():
        raise ConfigError(
            f"the {role} model's context size must be a whole number of tokens, such as 8192, not {value!r}"
        )
    return int(value)


def build_model(choice: ModelChoice, *, role: str, clock: Clock, environ: Mapping[str, str] | None = None) -> ChatModel:
    """The model a role's choice names, ready to use (nothing is loaded until its first request)."""
    env = os.environ if environ is None else environ
    if choice.model == "openai":
        from microturn._models._openai import OpenAICompatibleModel

        key_names = [choice.api_key_env] if choice.api_key_env else []
        key_names += [f"{_prefix(role)}OPENAI_API_KEY", "MICROTURN_OPENAI_API_KEY"]
        api_key = next((env[name].strip() for name in key_names if env.get(name, "").strip()), None)
        context = {"context_tokens": choice.context_tokens} if choice.context_tokens else {}
        return OpenAICompatibleModel(
            base_url=choice.base_url, model=choice.name, api_key=api_key, clock=clock, **context
        )
    from microturn._models import make_model

    return make_model(choice.model, clock=clock)
