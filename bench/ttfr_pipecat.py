"""The peer in ``bench/ttfr.py``: Pipecat's OpenAI LLM service against the same ``llama_cpp.server``.

A Pipecat bot answers a turn by pushing an ``LLMContextFrame`` (the conversation so far) into its
``OpenAILLMService``, which streams a chat completion and pushes ``LLMTextFrame``s downstream. This
runs that service in a real Pipecat pipeline (``PipelineWorker`` + ``WorkerRunner``, as a bot runs it,
minus transport, STT and TTS) and times from the frame's arrival to the first ``LLMTextFrame`` out.

Optional, not a microturn dependency: ``pip install 'pipecat-ai==1.14.0'`` (measured with 1.14.0).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any


def pipecat_version() -> str | None:
    """Pipecat's version, or None when it is not installed (the bench then skips its column)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("pipecat-ai")
    except PackageNotFoundError:
        return None


class PipecatPeer:
    """One long-lived Pipecat pipeline ``[OpenAILLMService, first-token probe]``, turn after turn."""

    def __init__(self, base_url: str, model: str, max_tokens: int, system: str) -> None:
        from loguru import logger

        logger.remove()  # Pipecat logs every frame at DEBUG to stderr: that would be timed too
        from pipecat.frames.frames import Frame, LLMFullResponseEndFrame, LLMTextFrame
        from pipecat.pipeline.pipeline import Pipeline
        from pipecat.pipeline.worker import PipelineWorker
        from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
        from pipecat.services.openai.llm import OpenAILLMService
        from pipecat.workers.runner import WorkerRunner

        peer = self
        self.first = asyncio.Event()
        self.done = asyncio.Event()
        self.started = asyncio.Event()

        class Probe(FrameProcessor):
            async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
                await super().process_frame(frame, direction)
                if isinstance(frame, LLMTextFrame) and frame.text:
                    peer.first.set()
                elif isinstance(frame, LLMFullResponseEndFrame):
                    peer.done.set()
                await self.push_frame(frame, direction)

        settings = OpenAILLMService.Settings(
            model=model, temperature=0.0, max_tokens=max_tokens, system_instruction=system
        )  # Pipecat sends the system instruction as the first message, as our adapter does
        llm = OpenAILLMService(api_key="unused", base_url=base_url, settings=settings)
        self.worker: Any = PipelineWorker(Pipeline([llm, Probe()]), cancel_on_idle_timeout=False, enable_rtvi=False)
        self.worker.event_handler("on_pipeline_started")(self._on_started)
        self.runner: Any = WorkerRunner(handle_sigint=False)
        self.running: asyncio.Task[None] | None = None

    async def _on_started(self, worker: Any, frame: Any) -> None:
        self.started.set()

    async def start(self) -> None:
        await self.runner.add_workers(self.worker)
        self.running = asyncio.create_task(self.runner.run())
        await asyncio.wait_for(self.started.wait(), timeout=30)

    async def first_token(self, messages: list[Any]) -> float:
        """Seconds from handing Pipecat the turn's context (the messages after the system one) to its first
        text frame; waits out the reply."""
        from pipecat.frames.frames import LLMContextFrame
        from pipecat.processors.aggregators.llm_context import LLMContext

        self.first.clear()
        self.done.clear()
        started = time.perf_counter()
        await self.worker.queue_frame(LLMContextFrame(context=LLMContext(messages=list(messages))))
        await asyncio.wait_for(self.first.wait(), timeout=120)
        waited = time.perf_counter() - started
        await asyncio.wait_for(self.done.wait(), timeout=120)  # the server is free again for the next request
        return waited

    async def close(self) -> None:
        from pipecat.frames.frames import EndFrame

        await self.worker.queue_frame(EndFrame())
        if self.running is not None:
            await asyncio.wait_for(self.running, timeout=30)
