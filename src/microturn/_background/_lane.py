"""The background lane: delegated jobs run as asynchronous ReAct loops while the conversation goes on.

It talks to the session only through events: it follows the session log (to see jobs requested,
cancelled and approvals decided, and to keep the whole timeline for each job's context packet) and
publishes progress, tool calls, results and failures to the session's ingress. Every tool call goes
through the same permission rule as the interaction loop's: scopes must be granted, and a high-risk
call waits for the user's explicit yes — which only the interaction layer can record, from what the
user said. Tool output is data: nothing in it can approve anything.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from microturn._background._agent import AgentModel, Finish, JobContext, Observation, UseTool
from microturn._bus import Start
from microturn._core._clock import Clock
from microturn._core._events import (
    ApprovalDecided,
    ApprovalRequested,
    CancelJob,
    Event,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    SessionEnded,
    ToolCalled,
    ToolProgress,
    ToolResult,
)
from microturn._core._failures import failed, tool_failed
from microturn._core._timeline import Timeline
from microturn._core._tools import Toolbox, ToolSpec
from microturn._session import AGENT, Session
from microturn._tools._permissions import Verdict, check, redact, specs_by_name
from microturn.errors import AdapterError, SlowConsumer, SubscriptionClosed

__all__ = ["BACKGROUND", "BackgroundLane"]

BACKGROUND = "background"
"""The source name of everything the lane publishes."""


class BackgroundLane:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        agent: AgentModel,
        tools: Toolbox,
        tool_specs: Sequence[ToolSpec] = (),
        scopes: Sequence[str] = (),
        approval_timeout: float = 30.0,
        max_steps: int = 8,
        capacity: int = 1024,
    ) -> None:
        """``capacity`` bounds the queue of session events the lane has yet to read (it catches up from the log)."""
        self._session = session
        self._send = session.lane_ingress(BACKGROUND)  # the lane's own way in: job reports, never approvals
        self._clock = clock
        self._agent = agent
        self._tools = tools
        self._offered = tuple(tool_specs)  # what the job's model is told about
        self._specs = specs_by_name(tools, tool_specs)  # what each call may do
        self._scopes = tuple(scopes)
        self._approval_timeout = approval_timeout
        self._max_steps = max_steps
        self._capacity = capacity
        self._timeline = Timeline()
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._approvals: dict[str, asyncio.Future[ApprovalDecided]] = {}
        self._calls = itertools.count(1)

    async def run(self, *, since: int = 0) -> None:
        """Follow the session until it ends; run each job delegated by the agent.

        Events before offset ``since`` are context only: a resumed chat rebuilds its log from the old
        one, whose jobs already ran (or were lost in the crash), so they are not started again.
        """
        subscription = await self._session.subscribe(BACKGROUND, start=Start.BEGINNING, capacity=self._capacity)
        try:
            async with asyncio.TaskGroup() as jobs:
                while True:
                    try:
                        event = await subscription.receive()
                    except SlowConsumer as exc:
                        # The log still has everything: pick up exactly where the queue overflowed.
                        subscription.close()
                        subscription = await self._session.subscribe(
                            BACKGROUND, start=exc.next_offset, capacity=self._capacity
                        )
                        continue
                    except SubscriptionClosed:
                        break
                    self._timeline.feed(event)
                    if event.seq >= since and not self._handle(event, jobs):
                        break
        finally:
            subscription.close()

    def _handle(self, event: Event, jobs: asyncio.TaskGroup) -> bool:
        if isinstance(event, JobRequested) and event.source == AGENT and event.job not in self._jobs:
            self._jobs[event.job] = jobs.create_task(self._job(event))
        elif isinstance(event, CancelJob) and event.job in self._jobs:
            self._jobs[event.job].cancel()
        elif isinstance(event, ApprovalDecided) and event.source == AGENT:
            # Only the interaction layer's record of the user's answer counts: no input can carry the agent's
            # source (the ingress refuses it). It decides only a call still waiting here, and only once.
            waiting = self._approvals.pop(event.call, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(event)
        elif isinstance(event, SessionEnded):
            for task in self._jobs.values():
                task.cancel()
            return False
        return True

    async def _job(self, request: JobRequested) -> None:
        context = JobContext(
            job=request.job,
            task=request.task,
            timeline=self._timeline.text,
            tools=self._offered,
            deadline=request.deadline,
        )
        seconds = None if request.deadline is None else max(0.0, request.deadline - request.t)
        try:
            if seconds is None:
                await self._react(context)
            else:
                async with self._clock.timeout_at(self._clock.now() + seconds):
                    await self._react(context)
        except TimeoutError:
            await self._publish(JobFailed(job=request.job, reason="it ran out of time"))
        except Exception as error:  # never BaseException: a cancelled job stays cancelled
            # The agent's model raised: the session records it and the user hears, in plain words, that the
            # job did not get done (an AdapterError's message is written for the user; anything else is a bug).
            await self._publish(failed("background", error, name=request.job))
            reason = str(error) if isinstance(error, AdapterError) else "the model doing it failed"
            await self._publish(JobFailed(job=request.job, reason=reason))

    async def _react(self, context: JobContext) -> None:
        observations: list[Observation] = []
        for _ in range(self._max_steps):
            step = await self._agent.step(context, observations)
            if isinstance(step, Finish):
                await self._publish(JobResult(job=context.job, text=step.answer))
                return
            await self._publish(JobProgress(job=context.job, text=step.note or f"using {step.tool}"))
            observations.append(await self._use(context.job, step))
        await self._publish(JobFailed(job=context.job, reason=f"it needed more than {self._max_steps} steps"))

    async def _use(self, job: str, step: UseTool) -> Observation:
        spec = self._specs.get(step.tool, ToolSpec(name=step.tool))
        call = f"{job}.call-{next(self._calls)}"
        await self._publish(ToolCalled(call=call, tool=step.tool, arguments=redact(step.arguments)))
        permission = check(spec, self._scopes)
        if permission.verdict is Verdict.DENY:
            return await self._refused(call, step, f"not permitted: {permission.reason}")
        if permission.verdict is Verdict.ASK and not await self._approved(call, job, step):
            return await self._refused(call, step, "not approved by the user")

        async def progress(text: str) -> None:
            await self._publish(ToolProgress(call=call, text=text))

        try:
            output = await self._tools.call(step.tool, step.arguments, progress=progress)
        except Exception as error:  # never BaseException: a cancelled job stays cancelled
            failure, said = tool_failed(step.tool, error)
            await self._publish(failure)
            return await self._refused(call, step, said)
        await self._publish(ToolResult(call=call, output=output))
        return Observation(step.tool, step.arguments, output)

    async def _approved(self, call: str, job: str, step: UseTool) -> bool:
        decided = asyncio.get_running_loop().create_future()
        self._approvals[call] = decided
        await self._publish(ApprovalRequested(call=call, tool=step.tool, arguments=redact(step.arguments), job=job))
        try:
            async with self._clock.timeout_at(self._clock.now() + self._approval_timeout):
                answer: ApprovalDecided = await decided
        except TimeoutError:
            return False  # silence means no
        finally:
            self._approvals.pop(call, None)
        return answer.granted

    async def _refused(self, call: str, step: UseTool, reason: str) -> Observation:
        await self._publish(ToolResult(call=call, output=reason, error=True))
        return Observation(step.tool, step.arguments, reason, error=True)

    async def _publish(self, event: Event) -> None:
        await self._send(event)
