"""A real OpenAI-compatible server for tests: ``python -m llama_cpp.server`` with the embedded Gemma weights."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["free_port", "llama_server", "tail"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def llama_server(weights: Path, log: Path, *, logits_all: bool = False) -> Iterator[str]:
    """A real llama_cpp.server with the Gemma weights (returning log-probabilities if ``logits_all``), its output
    in ``log``; yields its base URL, and stops it."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(weights), "--chat_format", "gemma"]
    command += ["--logits_all", str(logits_all), "--n_ctx", "2048", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        give_up = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=5):
                    break
            except OSError:
                pass
            try:
                process.wait(timeout=0.1)  # paces the polling, and notices a server that died
            except subprocess.TimeoutExpired:
                if time.monotonic() > give_up:
                    pytest.fail(f"llama_cpp.server did not answer within 60 s:\n{tail(log)}")
            else:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{tail(log)}")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
