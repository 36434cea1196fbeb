"""The public API is pinned: adding or removing a name is a decision, made here on purpose."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import microturn
from microturn import errors

PUBLIC = [
    "CODEC_VERSION",
    "Action",
    "Agent",
    "AgentAudio",
    "AgentModel",
    "AgentSession",
    "AgentSpeechEnded",
    "AgentSpeechHeld",
    "AgentSpeechReleased",
    "AgentSpeechStarted",
    "AgentStep",
    "AgentWord",
    "ApprovalDecided",
    "ApprovalRequested",
    "AudioFrame",
    "CallTool",
    "CancelJob",
    "CancelTool",
    "ChatModel",
    "ClaimChecker",
    "ClaimContext",
    "ClaimFlagged",
    "ClearTurn",
    "Clock",
    "ComponentFailed",
    "CueFired",
    "CueSet",
    "Delegate",
    "DescribedToolbox",
    "EmbeddedModel",
    "EndReason",
    "EndSession",
    "Event",
    "EventBus",
    "Finish",
    "FloorHolder",
    "FloorState",
    "FullDuplexPolicy",
    "Hold",
    "InputRejected",
    "JobContext",
    "JobFailed",
    "JobProgress",
    "JobRequested",
    "JobResult",
    "Lane",
    "LogConfig",
    "MCPServer",
    "MicroTurn",
    "Modality",
    "ModelAsked",
    "ModelChunk",
    "ModelEnded",
    "ModelRequest",
    "Note",
    "Observation",
    "OpenAICompatibleModel",
    "Overflow",
    "Overlap",
    "Playback",
    "Policy",
    "Progress",
    "Record",
    "Release",
    "Reply",
    "ResultDropped",
    "ResultWoven",
    "Resume",
    "Risk",
    "SandboxLimits",
    "Say",
    "ScriptedModel",
    "Session",
    "SessionConfig",
    "SessionEnded",
    "SessionStarted",
    "Silence",
    "Source",
    "SpeechBound",
    "SpeechOutput",
    "SpeechPurpose",
    "Start",
    "StartAt",
    "Stop",
    "StopOutput",
    "Subscription",
    "SubscriptionStats",
    "Sync",
    "SystemClock",
    "Timeline",
    "TimerCancelled",
    "TimerFired",
    "TimerSet",
    "Tool",
    "ToolCall",
    "ToolCalled",
    "ToolError",
    "ToolProgress",
    "ToolRegistry",
    "ToolResult",
    "ToolSource",
    "ToolSpec",
    "ToolStep",
    "Toolbox",
    "TurnBasedPolicy",
    "TurnEndSignal",
    "UseTool",
    "UserErase",
    "UserInput",
    "UserSpeechEnded",
    "UserSpeechStarted",
    "UserSubmit",
    "UserTranscript",
    "VirtualClock",
    "Voice",
    "builtin_tools",
    "calculator_tools",
    "clock_tools",
    "decode_event",
    "decode_log",
    "encode_event",
    "encode_log",
    "open_bus",
    "python_tools",
    "register_model",
    "register_policy",
    "tool",
    "workspace_tools",
]


def test_all_is_pinned() -> None:
    assert microturn.__all__ == PUBLIC
    # isort-style order (ruff RUF022): CONSTANTS, then Classes, then functions, each alphabetical.
    assert sorted(PUBLIC, key=lambda name: (not name.isupper(), not name[0].isupper(), name)) == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from microturn import {name}", namespace)  # the import statement users write
    assert namespace[name] is getattr(microturn, name)


def test_public_names_are_the_module_namespace_without_privates() -> None:
    exported = {name for name in vars(microturn) if not name.startswith("_")}
    submodules = {info.name for info in pkgutil.iter_modules(microturn.__path__)}
    assert exported - submodules - {"annotations"} == set(PUBLIC)


def exception_classes() -> list[type[BaseException]]:
    return [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, BaseException) and value.__module__ == errors.__name__
    ]


def test_microturn_error_is_the_single_root() -> None:
    classes = exception_classes()
    assert len(classes) >= 10
    assert errors.MicroturnError.__bases__ == (Exception,)
    for cls in classes:
        assert issubclass(cls, errors.MicroturnError), f"{cls.__name__} is outside the tree"
        roots = [base for base in cls.__mro__ if base.__module__ == errors.__name__]
        assert roots[-1] is errors.MicroturnError


def test_every_error_is_exported_and_drawn_in_the_docstring() -> None:
    names = {cls.__name__ for cls in exception_classes()}
    assert set(errors.__all__) == names
    assert errors.__doc__ is not None
    for name in names:
        assert name in errors.__doc__, f"draw {name} in the tree in errors.py's docstring"


def test_no_module_defines_an_exception_outside_the_tree() -> None:
    strays = []
    for info in pkgutil.walk_packages(microturn.__path__, prefix="microturn."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not issubclass(value, errors.MicroturnError)
            ):
                strays.append(f"{module.__name__}.{value.__name__}")
    assert strays == []
