"""Tools from typed functions (schemas, validation, streaming, concurrency) and the built-in tools.

Async tests run on a virtual clock. The sandbox tests start real interpreters on the SystemClock,
because on a virtual clock the sandbox's timeout comes the moment the loop is idle; that is used
once, on purpose, to test the timeout.
"""

from __future__ import annotations

import asyncio
import enum
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import pytest

from microturn import SystemClock, Toolbox, VirtualClock
from microturn._core._tools import Risk, ToolError
from microturn._tools import (
    SandboxLimits,
    Tool,
    ToolRegistry,
    builtin_tools,
    calculator_tools,
    clock_tools,
    python_tools,
    tool,
    workspace_tools,
)
from microturn.errors import ConfigError

# --- tools used by the registry tests -----------------------------------------------------------


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


@tool(scopes=("weather:read",), trigger=r"\bweather in (?P<city>\w+)")
def forecast(
    city: str,
    days: int = 3,
    unit: Unit = Unit.CELSIUS,
    hours: list[int] | None = None,
    detail: Literal["short", "long"] = "short",
) -> dict[str, Any]:
    """Tomorrow's weather in a city.

    This second paragraph is for developers, not the model.
    """
    return {"city": city, "days": days, "unit": unit.value, "hours": hours, "detail": detail}


@tool(name="shout", description="Upper-case the text.", risk=Risk.HIGH)
async def loud(text: Annotated[str, msgspec.Meta(min_length=1, description="What to shout.")]) -> str:
    return text.upper()


@tool
def nothing() -> None:
    """Does nothing."""


@tool
async def count(to: int) -> Any:
    """Counts aloud."""
    for number in range(1, to + 1):
        yield f"{number}"


@tool
def explode(reason: str) -> str:
    raise ValueError(reason)


@tool
async def disconnect() -> str:
    raise ConnectionError("the service hung up")


@tool
def refuse() -> str:
    raise ToolError("no, and here is why", transient=True)


def plain(a: int, b: int = 2) -> int:
    """Adds."""
    return a + b


REGISTRY = ToolRegistry([forecast, loud, nothing, count, explode, disconnect, refuse, plain])


async def call(tool_name: str, arguments: dict[str, Any], registry: Toolbox = REGISTRY) -> str:
    return await registry.call(tool_name, arguments)


async def failure(tool_name: str, arguments: dict[str, Any], registry: Toolbox = REGISTRY) -> ToolError:
    with pytest.raises(ToolError) as caught:
        await registry.call(tool_name, arguments)
    return caught.value


# --- schemas --------------------------------------------------------------------------------------


def test_schema_has_required_defaults_optionals_lists_enums_and_literals() -> None:
    assert forecast.spec.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "default": 3},
            "unit": {"$ref": "#/$defs/Unit", "default": "celsius"},
            "hours": {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}], "default": None},
            "detail": {"enum": ["long", "short"], "default": "short"},
        },
        "required": ["city"],
        "additionalProperties": False,
        "$defs": {"Unit": {"title": "Unit", "enum": ["celsius", "fahrenheit"]}},
    }


def test_annotated_metadata_and_empty_signatures() -> None:
    assert loud.spec.parameters["properties"] == {
        "text": {"type": "string", "minLength": 1, "description": "What to shout."}
    }
    assert nothing.spec.parameters == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    assert plain.__name__ == "plain"  # a plain function is registered as it is
    spec = {spec.name: spec for spec in REGISTRY.specs}["plain"]
    assert spec.parameters["required"] == ["a"]
    assert spec.parameters["properties"]["b"] == {"type": "integer", "default": 2}


def test_metadata_comes_from_the_decorator_and_the_docstring() -> None:
    assert forecast.spec.name == "forecast"
    assert forecast.spec.description == "Tomorrow's weather in a city."  # the first paragraph only
    assert forecast.spec.scopes == ("weather:read",)
    assert forecast.spec.risk is Risk.LOW
    assert forecast.spec.trigger == r"\bweather in (?P<city>\w+)"
    assert (loud.spec.name, loud.spec.description, loud.spec.risk) == ("shout", "Upper-case the text.", Risk.HIGH)
    assert explode.spec.description == ""
    assert [spec.name for spec in REGISTRY.specs] == REGISTRY.names
    assert REGISTRY.names[:3] == ["forecast", "shout", "nothing"]


def test_a_decorated_function_can_still_be_called_directly() -> None:
    assert isinstance(forecast, Tool)
    assert forecast("Lisbon")["days"] == 3


def reads_args(*values: int) -> None: ...


def positional(value: int, /) -> None: ...


def hinted_locally() -> None:
    class Local:
        pass

    def inner(value: Local) -> None: ...

    tool(inner)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tool(reads_args), "parameter 'values' must be passable by name"),
        (lambda: tool(positional), "parameter 'value' must be passable by name"),
        (hinted_locally, "a type hint does not resolve"),
        (lambda: tool(name="no spaces")(plain), "tool name 'no spaces' must be"),
        (lambda: tool(trigger="(unclosed")(plain), "its trigger is not a regular expression"),
        (lambda: tool(scopes=("",))(plain), "scopes must be non-empty strings"),
        (lambda: ToolRegistry([plain, tool(name="plain")(forecast)]), "two tools are named 'plain'"),
    ],
)
def test_bad_declarations_fail_at_once(make: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        make()


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool_name", "arguments", "message"),
    [
        (
            "forecast",
            {"city": "Oslo", "town": "Oslo"},
            "unknown argument 'town'; it takes: city, days, unit, hours, detail",
        ),
        ("nothing", {"x": 1}, "unknown argument 'x'; it takes: no arguments"),
        ("forecast", {"days": 2}, "missing argument 'city'"),
        ("forecast", {"city": "Oslo", "days": "2"}, "argument 'days': expected `int`, got `str`"),
        ("forecast", {"city": "Oslo", "days": 2.5}, "argument 'days': expected `int`, got `float`"),
        ("forecast", {"city": 7}, "argument 'city': expected `str`, got `int`"),
        ("forecast", {"city": "Oslo", "hours": [1, "2"]}, "argument 'hours[1]': expected `int`, got `str`"),
        ("forecast", {"city": "Oslo", "unit": "kelvin"}, "argument 'unit': invalid enum value 'kelvin'"),
        ("forecast", {"city": "Oslo", "detail": "medium"}, "argument 'detail': invalid enum value 'medium'"),
        ("shout", {"text": ""}, "argument 'text': expected `str` of length >= 1"),
        ("plain", {"a": True}, "argument 'a': expected `int`, got `bool`"),
    ],
)
async def test_invalid_arguments_are_named_with_the_problem(
    tool_name: str, arguments: dict[str, Any], message: str
) -> None:
    error = await failure(tool_name, arguments)
    assert str(error) == f"tool {tool_name!r}: {message}"
    assert error.transient is False


async def test_arguments_must_be_an_object() -> None:
    error = await failure("plain", [1, 2])  # type: ignore[arg-type]
    assert str(error) == "tool 'plain': arguments must be an object, got list"


async def test_valid_arguments_are_converted_and_defaults_filled_in() -> None:
    result = await call("forecast", {"city": "Oslo", "unit": "fahrenheit", "hours": [6, 18]})
    assert msgspec.json.decode(result) == {
        "city": "Oslo",
        "days": 3,
        "unit": "fahrenheit",
        "hours": [6, 18],
        "detail": "short",
    }


async def test_unknown_tools_list_the_available_ones() -> None:
    error = await failure("weather", {})
    assert str(error) == (
        "no tool named 'weather'; available tools: count, disconnect, explode, forecast, nothing, plain, refuse, shout"
    )
    assert str(await failure("x", {}, ToolRegistry())) == "no tool named 'x'; available tools: none"


# --- calling --------------------------------------------------------------------------------------


async def test_sync_and_async_results_come_back_as_text() -> None:
    assert await call("shout", {"text": "hi"}) == "HI"  # str as it is
    assert await call("plain", {"a": 40}) == "42"  # anything else as JSON
    assert await call("nothing", {}) == "null"


async def test_an_async_generator_streams_every_item_in_order_and_returns_the_last() -> None:
    streamed: list[str] = []

    async def progress(text: str) -> None:
        streamed.append(text)

    assert await REGISTRY.call("count", {"to": 3}, progress=progress) == "3"
    assert streamed == ["1", "2", "3"]
    assert await REGISTRY.call("count", {"to": 2}) == "2"  # nobody listening
    assert await REGISTRY.call("count", {"to": 0}) == ""


async def test_a_failing_tool_is_a_tool_error_with_its_message_only() -> None:
    error = await failure("explode", {"reason": "the fuse blew"})
    assert str(error) == "tool 'explode' failed: ValueError: the fuse blew"
    assert error.transient is False
    assert error.__cause__ is None
    assert error.__suppress_context__  # no traceback of the tool's internals travels with it
    assert (await failure("disconnect", {})).transient is True  # a retry may help
    refused = await failure("refuse", {})
    assert (str(refused), refused.transient) == ("no, and here is why", True)  # the tool's own words


async def test_long_failure_messages_are_bounded() -> None:
    error = await failure("explode", {"reason": "x" * 5000})
    assert len(str(error)) < 600


async def test_a_result_that_is_not_json_is_a_clear_error() -> None:
    registry = ToolRegistry([tool(name="opaque")(lambda: object())])
    assert str(await failure("opaque", {}, registry)) == (
        "tool 'opaque' returned a object, which cannot be written as JSON"
    )


async def test_calls_run_concurrently(clock: VirtualClock) -> None:
    log: list[tuple[str, float]] = []

    @tool
    async def slow(label: str) -> str:
        log.append((f"{label} start", clock.now()))
        await clock.sleep_until(clock.now() + 5.0)
        log.append((f"{label} end", clock.now()))
        return label

    registry = ToolRegistry([slow])
    results = await asyncio.gather(call("slow", {"label": "a"}, registry), call("slow", {"label": "b"}, registry))
    assert list(results) == ["a", "b"]
    assert log == [("a start", 0.0), ("b start", 0.0), ("a end", 5.0), ("b end", 5.0)]  # they overlapped


async def test_registries_combine() -> None:
    combined = ToolRegistry([plain]) | ToolRegistry(calculator_tools())
    assert combined.names == ["plain", "calculator"]
    assert "calculator" in combined
    assert len(combined) == 2
    with pytest.raises(ConfigError, match="two tools are named 'plain'"):
        _ = combined | ToolRegistry([plain])


# --- calculator -----------------------------------------------------------------------------------

CALCULATOR = ToolRegistry(calculator_tools())


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("7 % 3", "1"),
        ("2 ** 10", "1024"),
        ("-3 + +2", "-1"),
        ("0.1 + 0.2", "0.3"),
        ("sqrt(16)", "4"),
        ("round(2.567, 2)", "2.57"),
        ("abs(-4) + min(3, 1, 2) + max(3, 1, 2)", "8"),
        ("2 * pi", "6.28318530718"),
        ("10 ** 300 // 10 ** 299", "10"),
        ("2 ** -1", "0.5"),
        (" 1_000 * 3 ", "3000"),
    ],
)
async def test_calculator_does_arithmetic(expression: str, result: str) -> None:
    assert await call("calculator", {"expression": expression}, CALCULATOR) == result


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "the calculator has no function '__import__'"),
        ("(1).__class__", "attribute access is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access is not allowed"),
        ("os.system('ls')", "attribute access is not allowed"),
        ("x + 1", "the name 'x' is not allowed"),
        ("'a' * 3", "the value 'a' is not allowed"),
        ("True + 1", "the value True is not allowed"),
        ("[1, 2]", "a List expression is not allowed"),
        ("lambda: 1", "a lambda is not allowed"),
        ("max(x for x in (1, 2))", "a GeneratorExp expression is not allowed"),
        ("2 ^ 3", "the operator BitXor (use ** for powers) is not allowed"),
        ("1 < 2", "a comparison is not allowed"),
        ("sqrt(x=4)", "sqrt() takes one or more plain numbers"),
        ("2 ** 10 ** 10", "the result is too large to compute"),
        ("9 ** 9 ** 9", "the result is too large to compute"),
        ("(10 ** 1000) ** 5", "the result is too large to compute"),
        ("10.0 ** 400", "the result is too large to compute"),
        ("round(1, -10 ** 9)", "round() keeps at most 100 digits"),
        ("1 / 0", "division by zero"),
        ("sqrt(-1)", "cannot compute that: math domain error"),
        ("(-8) ** 0.5", "the result is not a real number"),
        ("1 +", "'1 +' is not an arithmetic expression"),
        ("-" * 400 + "1", "-1"),  # deep but bounded: still fine
    ],
)
async def test_calculator_refuses_everything_but_arithmetic(expression: str, message: str) -> None:
    if message == "-1":
        assert await call("calculator", {"expression": expression}, CALCULATOR) == "1"
        return
    error = await failure("calculator", {"expression": expression}, CALCULATOR)
    assert message in str(error)
    assert error.transient is False


async def test_calculator_expressions_are_bounded_in_length() -> None:
    error = await failure("calculator", {"expression": "1+" * 300 + "1"}, CALCULATOR)
    assert str(error) == "tool 'calculator': argument 'expression': expected `str` of length <= 500"


def test_calculator_spec() -> None:
    (spec,) = CALCULATOR.specs
    assert (spec.name, spec.scopes, spec.risk) == ("calculator", (), Risk.LOW)
    assert spec.trigger is not None  # a calculation in the user's words: tests/test_talking_tools.py
    assert spec.parameters["properties"]["expression"]["maxLength"] == 500
    assert spec.description.startswith("Evaluate an arithmetic expression")


# --- clock ----------------------------------------------------------------------------------------
# The virtual clock's wall time starts at 2026-01-01T09:00:00Z.


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        ("UTC", "2026-01-01T09:00:00+00:00"),
        ("utc", "2026-01-01T09:00:00+00:00"),
        ("Asia/Tokyo", "2026-01-01T18:00:00+09:00"),
        ("America/New_York", "2026-01-01T04:00:00-05:00"),
        ("Asia/Kolkata", "2026-01-01T14:30:00+05:30"),
    ],
)
async def test_current_time_in_zones(clock: VirtualClock, zone: str, now: str) -> None:
    assert await call("current_time", {"zone": zone}, ToolRegistry(clock_tools(clock))) == now


async def test_current_time_follows_the_clock(clock: VirtualClock) -> None:
    tools = ToolRegistry(clock_tools(clock))
    assert await call("current_time", {}, tools) == "2026-01-01T09:00:00+00:00"
    await clock.sleep_until(90.0)
    assert await call("current_time", {}, tools) == "2026-01-01T09:01:30+00:00"


@pytest.mark.parametrize(
    ("arguments", "converted"),
    [
        ({"time": "14:30", "from_zone": "Europe/Paris", "to_zone": "Asia/Tokyo"}, "2026-01-01T22:30:00+09:00"),
        ({"time": "2026-07-01T12:00", "from_zone": "America/New_York", "to_zone": "UTC"}, "2026-07-01T16:00:00+00:00"),
        ({"time": "2026-07-01T12:00+02:00", "from_zone": "Asia/Tokyo", "to_zone": "UTC"}, "2026-07-01T10:00:00+00:00"),
        ({"time": "09:00", "to_zone": "Europe/London"}, "2026-01-01T09:00:00+00:00"),
    ],
)
async def test_convert_time_between_zones(clock: VirtualClock, arguments: dict[str, str], converted: str) -> None:
    assert await call("convert_time", arguments, ToolRegistry(clock_tools(clock))) == converted


@pytest.mark.parametrize(
    ("tool_name", "arguments", "message"),
    [
        ("current_time", {"zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'; use an IANA name"),
        ("current_time", {"zone": "../../etc/passwd"}, "unknown time zone '../../etc/passwd'"),
        ("convert_time", {"time": "half past two", "to_zone": "UTC"}, "'half past two' is not a time"),
        ("convert_time", {"time": "14:30"}, "tool 'convert_time': missing argument 'to_zone'"),
    ],
)
async def test_clock_errors(clock: VirtualClock, tool_name: str, arguments: dict[str, str], message: str) -> None:
    assert message in str(await failure(tool_name, arguments, ToolRegistry(clock_tools(clock))))


def test_asking_the_time_triggers_current_time() -> None:
    specs = {spec.name: spec for spec in ToolRegistry(clock_tools(VirtualClock())).specs}
    trigger = specs["current_time"].trigger
    assert trigger is not None
    assert re.search(trigger, "hey what time is it now")
    assert re.search(trigger, "so what's the time")
    assert not re.search(trigger, "it is time to go")
    assert specs["convert_time"].trigger is None


# --- sandboxed python -----------------------------------------------------------------------------

FAST = SandboxLimits(cpu_seconds=1, memory_bytes=128 * 1024 * 1024, timeout=5.0, output_bytes=2000)


def run_code(code: str, limits: SandboxLimits = FAST) -> str:
    """The tool's result, or the ToolError's message prefixed with 'ERROR: '."""

    async def main() -> str:
        registry = ToolRegistry(python_tools(SystemClock(), limits))
        try:
            return await registry.call("run_python", {"code": code})
        except ToolError as error:
            return f"ERROR: {error}" + ("" if error.transient is False else " (transient?)")

    return asyncio.run(main())


def test_sandbox_returns_what_the_code_prints() -> None:
    assert run_code("import math\nprint(math.factorial(20))\nprint('done')") == "2432902008176640000\ndone"
    assert run_code("x = 1") == "(no output)"


def test_sandbox_works_in_a_private_scratch_directory_that_is_gone_afterwards() -> None:
    code = (
        "import os\n"
        "print(os.getcwd(), os.listdir('.'))\n"
        "open('notes.txt', 'w').write('kept for the run')\n"
        "print(open('notes.txt').read())\n"
    )
    first = run_code(code)
    assert first == "/scratch []\nkept for the run"
    assert run_code(code) == first  # the next run starts empty again


def test_sandbox_environment_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROTURN_TEST_SECRET", "hunter2")  # in this process's environment, not the child's
    assert run_code("import os, sys\nprint(dict(os.environ), sys.argv, sys.flags.isolated)") == "{} [''] 1"


def fake_bwrap(folder: Path, script: str) -> Path:
    """A FAKE bwrap (shell ``script``) on a PATH of its own, next to the real setpriv."""
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    (folder / "setpriv").symlink_to("/usr/bin/setpriv")
    return fake


def test_sandbox_refuses_when_bubblewrap_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_code("print(1)") == (
        "ERROR: run_python refuses to run code without its OS sandbox: "
        "bwrap is not installed; install bubblewrap: apt-get install bubblewrap"
    )


def test_sandbox_refuses_when_bubblewrap_cannot_start_and_probes_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    fake = fake_bwrap(
        tmp_path / "bin", f"echo run >> {calls}\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1"
    )
    monkeypatch.setenv("PATH", str(fake.parent))
    refusal = run_code("print(1)")
    assert refusal.startswith(
        "ERROR: run_python refuses to run code without its OS sandbox: "
        "a trial run in bubblewrap failed (bwrap: No permissions to create new namespace)"
    )
    assert run_code("print(2)") == refusal
    assert calls.read_text() == "run\n"  # the verdict is kept: the second call did not start bwrap


def test_sandbox_refuses_a_bubblewrap_that_would_run_the_code_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_bwrap(tmp_path / "bin", "echo 0")  # 'uid 0': what an unsandboxed run as root would say
    monkeypatch.setenv("PATH", str(fake.parent))
    assert run_code("print(1)") == (
        "ERROR: run_python refuses to run code without its OS sandbox: "
        "a trial run in bubblewrap ran as root: the sandbox did not drop privileges"
    )


def test_sandbox_as_root_refuses_without_setpriv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bwrap").symlink_to("/usr/bin/bwrap")
    monkeypatch.setenv("PATH", str(tmp_path))
    refusal = "setpriv (to drop root) is not installed; install it: apt-get install util-linux"
    expected = f"ERROR: run_python refuses to run code without its OS sandbox: {refusal}" if os.geteuid() == 0 else "1"
    assert run_code("print(1)") == expected


def test_sandbox_refuses_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert run_code("print(1)") == (
        "ERROR: run_python refuses to run code without its OS sandbox: it needs Linux (bubblewrap), and this is darwin"
    )


def test_sandbox_stops_an_endless_cpu_loop() -> None:
    assert run_code("print('started')\nwhile True:\n    pass") == (
        "ERROR: the code used more than 1 s of CPU time and was stopped\nIt printed before that:\nstarted"
    )


@pytest.mark.parametrize(
    "bomb",
    [
        "data = bytearray(2 * 1024 ** 3)",
        "chunks = []\nwhile True:\n    chunks.append(' ' * 10 ** 6)",
    ],
)
def test_sandbox_memory_is_bounded(bomb: str) -> None:
    assert run_code(bomb) == "ERROR: the code ran out of memory (limit 128 MiB)"


async def test_sandbox_kills_code_that_outlives_its_timeout(clock: VirtualClock) -> None:
    # On the virtual clock the timeout comes as soon as the loop is idle: just what this test needs.
    registry = ToolRegistry(python_tools(clock, FAST))
    error = await failure("run_python", {"code": "import time\ntime.sleep(60)"}, registry)
    assert str(error) == "the code ran longer than 5 s and was stopped"
    assert clock.now() == 5.0


def test_sandbox_has_no_network() -> None:
    result = run_code('import socket\nsocket.socket().connect(("127.0.0.1", 1))')
    assert result.startswith("ERROR: the code failed:\nTraceback")
    assert result.endswith("PermissionError: sandbox: network access (socket.__new__) is not allowed")
    assert "<string>" not in result  # the user's frames, not the bootstrap's


@pytest.mark.parametrize(
    ("code", "refusal"),
    [
        ("import subprocess", "importing _posixsubprocess is not allowed"),
        ("import os\nos.system('true')", "os.system is not allowed"),
        ("import os\nos.execv('/bin/true', ['true'])", "os.exec is not allowed"),
        ("import os\nos.fork()", "os.fork is not allowed"),
        ("import ctypes", "importing ctypes is not allowed"),
        ("import resource\nresource.setrlimit(resource.RLIMIT_CPU, (100, 100))", "resource.setrlimit is not allowed"),
    ],
)
def test_sandbox_cannot_start_processes_or_lift_its_limits(code: str, refusal: str) -> None:
    assert run_code(code).endswith(f"PermissionError: sandbox: {refusal}")


def test_sandbox_cannot_write_or_read_outside_its_directory(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    result = run_code(f"open({str(target)!r}, 'w').write('x')")
    assert result.endswith(
        f"PermissionError: sandbox: writing to {str(target)!r} (only inside the working directory) is not allowed"
    )
    assert not target.exists()
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2")
    result = run_code(f"print(open({str(secret)!r}).read())")
    assert "reading" in result
    assert "hunter2" not in result
    linked = run_code(f"import os\nos.symlink({str(tmp_path)!r}, 'out')\nopen('out/escaped.txt', 'w')")
    assert linked.endswith(
        "PermissionError: sandbox: writing to 'out/escaped.txt' (only inside the working directory) is not allowed"
    )
    assert not target.exists()


def test_sandbox_reports_errors_with_the_user_traceback_and_partial_output() -> None:
    assert run_code("print('halfway')\n1 / 0") == (
        "ERROR: the code failed:\n"
        "Traceback (most recent call last):\n"
        '  File "<code>", line 2, in <module>\n'
        "    1 / 0\n"
        "    ~~^~~\n"
        "ZeroDivisionError: division by zero\n"
        "It printed before that:\n"
        "halfway"
    )
    assert run_code("import sys\nsys.exit(3)") == "ERROR: the code failed:\nit exited with status 3"


def test_sandbox_output_is_bounded() -> None:
    result = run_code("while True:\n    print('x' * 100)")
    assert result.endswith("\n[output cut at 2000 bytes; the program was stopped]")
    assert len(result) < 2100


def test_sandbox_can_use_the_standard_library() -> None:
    code = (
        "import json, zoneinfo, fractions\n"
        "print(json.dumps([str(fractions.Fraction(1, 3)), str(zoneinfo.ZoneInfo('Europe/Paris'))]))"
    )
    assert run_code(code) == '["1/3", "Europe/Paris"]'


def test_sandbox_limits_are_checked() -> None:
    with pytest.raises(ConfigError, match="cpu_seconds must be at least 1"):
        SandboxLimits(cpu_seconds=0)
    with pytest.raises(ConfigError, match="timeout must be positive"):
        SandboxLimits(timeout=0)
    with pytest.raises(ConfigError, match="scratch_bytes >= 4096"):
        SandboxLimits(scratch_bytes=0)


# --- workspace files ------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "notes.md").write_text("alpha\nBeta gamma\n")
    (root / "src" / "app.py").write_text("def main():\n    return 'beta'\n")
    (root / ".git" / "config").write_text("beta, but hidden\n")
    (root / "data.bin").write_bytes(b"beta\x00\x01\x02")
    (root / "latin1.txt").write_bytes("beta caf\xe9".encode("latin-1"))
    (tmp_path / "secret.txt").write_text("beta secret outside\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "more.txt").write_text("beta more secrets\n")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "leakdir").symlink_to(tmp_path / "outside")
    (root / "alias.md").symlink_to(root / "notes.md")  # a link that stays inside is fine
    return root


async def test_search_finds_lines_in_text_files_only(workspace: Path) -> None:
    files = ToolRegistry(workspace_tools(workspace))
    assert await call("search_files", {"query": "beta"}, files) == (
        "alias.md:2: Beta gamma\nnotes.md:2: Beta gamma\nsrc/app.py:2: return 'beta'"
    )
    assert await call("search_files", {"query": "BETA", "glob": "**/*.py"}, files) == "src/app.py:2: return 'beta'"
    assert await call("search_files", {"query": "beta", "glob": "*.md"}, files) == (
        "alias.md:2: Beta gamma\nnotes.md:2: Beta gamma"
    )
    assert await call("search_files", {"query": ""}, files) == "alias.md\nnotes.md\nsrc/app.py"
    assert (
        await call("search_files", {"query": "delta"}, files) == "no lines containing 'delta' in files matching '**/*'"
    )


async def test_search_results_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "many.txt").write_text("hit " + "x" * 1000 + "\n" * 1 + "hit\n" * 200)
    result = await call("search_files", {"query": "hit"}, ToolRegistry(workspace_tools(tmp_path)))
    lines = result.splitlines()
    assert len(lines) == 51
    assert lines[0].endswith("…")
    assert len(lines[0]) < 400
    assert lines[-1] == "[more than 50 hits; narrow the query or the glob]"


async def test_read_file_numbers_its_lines(workspace: Path) -> None:
    files = ToolRegistry(workspace_tools(workspace))
    assert await call("read_file", {"path": "notes.md"}, files) == "notes.md (lines 1-2 of 2)\n1: alpha\n2: Beta gamma"
    (workspace / "long.txt").write_text("".join(f"line {n}\n" for n in range(1, 1001)))
    assert await call("read_file", {"path": "long.txt", "start_line": 10, "max_lines": 3}, files) == (
        "long.txt (lines 10-12 of 1000)\n10: line 10\n11: line 11\n12: line 12"
    )
    assert await call("read_file", {"path": "./src/app.py", "max_lines": 1}, files) == (
        "./src/app.py (lines 1-1 of 2)\n1: def main():"
    )
    assert await call("read_file", {"path": "alias.md", "max_lines": 1}, files) == "alias.md (lines 1-1 of 2)\n1: alpha"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"path": "../secret.txt"}, "the path '../secret.txt' may not contain '..'"),
        ({"path": "src/../../secret.txt"}, "the path 'src/../../secret.txt' may not contain '..'"),
        ({"path": "/etc/passwd"}, "the path '/etc/passwd' must be relative to the workspace"),
        ({"path": "~/.ssh/id_rsa"}, "the path '~/.ssh/id_rsa' must be relative to the workspace"),
        ({"path": "leak.txt"}, "'leak.txt' leads outside the workspace (through a symbolic link)"),
        ({"path": "leakdir/more.txt"}, "'leakdir/more.txt' leads outside the workspace (through a symbolic link)"),
        ({"path": "data.bin"}, "'data.bin' is a binary file, not text; it is not read"),
        ({"path": "latin1.txt"}, "'latin1.txt' is a binary file, not text; it is not read"),
        ({"path": "missing.txt"}, "there is no file 'missing.txt' in the workspace"),
        ({"path": "src"}, "'src' is a directory; list it with search_files and glob 'src/*'"),
        ({"path": "notes.md", "start_line": 5}, "'notes.md' has only 2 lines"),
        ({"path": "notes.md", "max_lines": 501}, "argument 'max_lines': expected `int` <= 500"),
        ({"path": "notes.md", "start_line": 0}, "argument 'start_line': expected `int` >= 1"),
    ],
)
async def test_read_file_refuses(workspace: Path, arguments: dict[str, Any], message: str) -> None:
    error = await failure("read_file", arguments, ToolRegistry(workspace_tools(workspace)))
    assert message in str(error)
    assert "secret" not in str(error).replace("secret.txt", "")


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        ("../*", "the glob '../*' may not contain '..'"),
        ("/etc/*", "the glob '/etc/*' must be relative to the workspace"),
    ],
)
async def test_search_refuses_globs_that_leave_the_workspace(workspace: Path, glob: str, message: str) -> None:
    error = await failure("search_files", {"query": "beta", "glob": glob}, ToolRegistry(workspace_tools(workspace)))
    assert str(error) == message


def test_the_workspace_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        workspace_tools(tmp_path / "nowhere")


# --- the built-ins together ---------------------------------------------------------------------


def test_builtin_tools(tmp_path: Path) -> None:
    clock = VirtualClock()
    without = builtin_tools(clock=clock, workspace=None)
    assert without.names == ["calculator", "current_time", "convert_time", "run_python"]
    tools = builtin_tools(clock=clock, workspace=tmp_path)
    specs = {spec.name: spec for spec in tools.specs}
    assert list(specs) == [*without.names, "search_files", "read_file"]
    assert {name: spec.scopes for name, spec in specs.items()} == {
        "calculator": (),
        "current_time": (),
        "convert_time": (),
        "run_python": ("code:run",),
        "search_files": ("files:read",),
        "read_file": ("files:read",),
    }
    assert {spec.risk for spec in specs.values()} == {Risk.LOW}
    assert [name for name, spec in specs.items() if spec.trigger] == ["calculator", "current_time"]
    assert all(spec.description and spec.parameters["type"] == "object" for spec in specs.values())
    toolbox: Toolbox = tools  # the loop takes it as it is
    assert toolbox is tools
