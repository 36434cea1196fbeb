"""The tool calls the interaction loop makes: gated by the permission rule, run as tasks of the session.

A call is recorded (arguments redacted), checked (scopes granted? high risk → wait for the user's
yes), then run in the session's task group; its partial results and its result come back through
the ingress like any outside input, so a replay feeds the recorded ones instead of calling again.
"""

from __future__ import annotations

import asyncio

import msgspec

from microturn._core._actions import CallTool
from microturn._core._events import ApprovalDecided, ApprovalRequested, Event, ToolCalled, ToolProgress, ToolResult
from microturn._core._failures import tool_failed
from microturn._core._tools import Toolbox, ToolSpec
from microturn._session._wiring import Hooks, Inject
from microturn._tools._permissions import Verdict, check, redact, specs_by_name

__all__ = ["ToolCalls"]


class ToolCalls:
    def __init__(
        self,
        *,
        toolbox: Toolbox,
        specs: list[ToolSpec],
        scopes: list[str],
        hooks: Hooks,
        inject: Inject,
    ) -> None:
        self._toolbox = toolbox
        self._specs = specs_by_name(toolbox, specs)
        self._scopes = scopes
        self._hooks = hooks
        self._inject = inject
        self._running: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, tuple[int, CallTool]] = {}  # high-risk calls waiting for the user's yes

    async def call(self, call: str, action: CallTool, cause: Event | None) -> None:
        arguments = redact(action.arguments)
        called = await self._hooks.emit(ToolCalled(call=call, tool=action.tool, arguments=arguments), cause)
        permission = check(self._specs.get(action.tool, ToolSpec(name=action.tool)), self._scopes)
        if permission.verdict is Verdict.DENY:
            denied = ToolResult(call=call, output=f"not permitted: {permission.reason}", error=True)
            await self._hooks.emit(denied, called)
        elif permission.verdict is Verdict.ASK:
            self._waiting[call] = (called.seq, action)
            await self._hooks.emit(ApprovalRequested(call=call, tool=action.tool, arguments=arguments), called)
        else:
            self._start(called.seq, call, action)

    async def decided(self, decision: ApprovalDecided) -> None:
        """The interaction layer recorded the user's answer: run the waiting call, or refuse it."""
        waiting = self._waiting.pop(decision.call, None)
        if waiting is None:
            return
        called, action = waiting
        if decision.granted:
            self._start(called, decision.call, action)
        else:
            refusal = "not approved by the user" + (f": {decision.reason}" if decision.reason else "")
            await self._hooks.emit(ToolResult(call=decision.call, output=refusal, error=True), decision)

    async def cancel(self, call: str, cause: Event | None) -> None:
        running = self._running.pop(call, None)
        if running is not None:
            running.cancel()
            await self._hooks.emit(ToolResult(call=call, output="cancelled", error=True), cause)

    def finished(self, result: ToolResult) -> None:
        """Its result is in: the call is over (in a replay, the result comes from the log instead)."""
        running = self._running.pop(result.call, None)
        if running is not None:
            running.cancel()

    def cancel_all(self) -> None:
        for task in self._running.values():
            task.cancel()

    def _start(self, called: int, call: str, action: CallTool) -> None:
        task = self._hooks.spawn(self._run(called, call, action))
        self._running[call] = task
        task.add_done_callback(lambda _: self._running.pop(call, None))

    async def _run(self, called: int, call: str, action: CallTool) -> None:
        async def progress(text: str) -> None:
            await self._inject(ToolProgress(call=call, text=text, cause=called))

        try:
            output = await self._toolbox.call(action.tool, action.arguments, progress=progress)
        except Exception as error:  # never BaseException: a cancelled call stays cancelled
            failure, said = tool_failed(action.tool, error)
            await self._inject(msgspec.structs.replace(failure, cause=called))
            result = ToolResult(call=call, output=said, error=True, cause=called)
        else:
            result = ToolResult(call=call, output=output, cause=called)
        await self._inject(result)
