"""A FAKE OpenAI-compatible ``/v1/completions`` server on loopback, for tests of the client's reading of what a
server answers (the real llama.cpp server is in ``_llama_server.py``)."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

Answer = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]
"""The path asked and the request's body -> the status and the JSON body to answer with."""


@contextlib.contextmanager
def fake_completions(answer: Answer) -> Iterator[str]:
    """Serve ``answer`` on a free loopback port until the block ends; yields the base URL (``.../v1``)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
            status, reply = answer(self.path, body)
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
            pass

    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{fake.server_address[1]}/v1"
    finally:
        fake.shutdown()
        fake.server_close()
        thread.join()


def completion(model: str, choice: dict[str, Any]) -> dict[str, Any]:
    """A one-choice text completion as a server writes it."""
    return {"id": "c", "object": "text_completion", "created": 0, "model": model, "choices": [choice]}
