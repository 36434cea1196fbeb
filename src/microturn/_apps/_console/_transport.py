"""The terminal as a session transport: keystrokes stream in, the conversation streams out.

prompt_toolkit draws the conversation above an input line that stays editable while the agent talks.
Every edit of that line is published to the session at once, not on Enter, so the agent sees the
user typing (and pausing) and the policy can stop the agent the moment the user starts.

The UI's callbacks are synchronous and cannot publish, so they queue events in an outbox; a pump
task publishes them in order. A viewer task renders the session log. Both run in one task group
with the UI, which lasts until the session has ended.
"""

from __future__ import annotations

import asyncio

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import HSplit, Layout, Window
from prompt_toolkit.output import Output
from prompt_toolkit.widgets import TextArea

from microturn._apps._console._keystrokes import edits
from microturn._apps._console._transcript import Transcript
from microturn._bus import Subscription
from microturn._core._events import EndSession, Event, SessionEnded, UserSubmit
from microturn._session import Session
from microturn.errors import BusError

__all__ = ["SOURCE", "ConsoleTransport"]

SOURCE = "console"
"""The source name of everything the console publishes."""

_OUTBOX_CAPACITY = 1024
_UNDO_DEPTH = 100  # edits of the input line that undo (Ctrl-_) can take back


class ConsoleTransport:
    """Chat with ``session`` in the terminal (or through the given prompt_toolkit input and output)."""

    def __init__(
        self,
        session: Session,
        *,
        banner: str = "",
        terminal_input: Input | None = None,
        terminal_output: Output | None = None,
        line: str = "",
    ) -> None:
        """``line`` starts the input line with text the session already has (a resumed chat's)."""
        self._session = session
        self.transcript = Transcript(banner)
        self._told = line  # the input line as the session knows it
        self._quitting = False
        # Keystrokes come at human speed and the pump publishes each at once, so the outbox is
        # nearly always empty. If it ever fills, the bus is stuck: end the chat with an error
        # rather than drop keys the agent would then never see.
        self._outbox: asyncio.Queue[Event] = asyncio.Queue(_OUTBOX_CAPACITY)
        self._overflowed = False
        self._conversation = TextArea(text=banner, read_only=True, focusable=False)
        self._line = TextArea(text=line, height=1, prompt="you: ", multiline=False, accept_handler=self._submit)
        self._line.buffer.cursor_position = len(line)
        self._line.buffer.on_text_changed += self._edited
        self._app: Application[None] = Application(
            layout=Layout(
                HSplit([self._conversation, Window(height=1, char="─"), self._line]),
                focused_element=self._line,
            ),
            key_bindings=self._key_bindings(),
            input=terminal_input,
            output=terminal_output,
        )

    async def run(self, events: Subscription) -> None:
        """Run the console until the session ends; ``events`` follows the session's log."""
        async with asyncio.TaskGroup() as tasks:
            pump = tasks.create_task(self._pump())
            shown = tasks.create_task(self._show(events))
            try:
                # Ctrl-C is a key binding (the terminal is in raw mode), and errors must reach the
                # task group rather than prompt_toolkit's "press ENTER" handler.
                await self._app.run_async(handle_sigint=False, set_exception_handler=False)
            except EOFError:
                self._quit()  # the input closed (a pipe ran dry): end the session as if asked to
            await shown
            pump.cancel()  # the session has ended: nothing queued can matter any more

    # --- in: the input line ------------------------------------------------------------------------

    def _edited(self, buffer: Buffer) -> None:
        if self._quitting:
            return
        # Stamp the events now: their time is when the key was pressed, not when they are published.
        for event in edits(self._told, buffer.text, t=self._session.now()):
            self._send(event)
        self._told = buffer.text
        # prompt_toolkit may keep a copy of the whole line per keystroke for undo, without a bound: a 100 KB
        # paste typed key by key would hold gigabytes. Undo goes back a few edits; that is plenty here.
        del buffer._undo_stack[:-_UNDO_DEPTH]

    def _submit(self, buffer: Buffer) -> bool:
        if buffer.text and not self._quitting:
            self._send(UserSubmit(t=self._session.now()))
            self.transcript.user(buffer.text)
            self._refresh()
        self._told = ""  # the line is taken up; prompt_toolkit now clears it without a change event
        return False

    def _key_bindings(self) -> KeyBindings:
        keys = KeyBindings()

        @keys.add("c-d")
        @keys.add("c-c")
        def _quit(event: KeyPressEvent) -> None:
            self._quit()

        return keys

    def _quit(self) -> None:
        if not self._quitting:
            self._quitting = True
            self._send(EndSession(reason="user quit", t=self._session.now()))

    def _send(self, event: Event) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:
            if not self._overflowed and self._app.is_running:
                self._overflowed = True
                error = BusError(
                    f"the console could not hand input to session {self._session.id!r}: "
                    f"{_OUTBOX_CAPACITY} events are waiting to be published. Is the bus stuck?"
                )
                self._app.exit(exception=error)

    async def _pump(self) -> None:
        while True:
            event = await self._outbox.get()
            await self._session.inject(event, source=SOURCE)

    # --- out: the conversation ---------------------------------------------------------------------

    async def _show(self, events: Subscription) -> None:
        while True:
            event = await events.receive()
            self.transcript.feed(event)
            self._refresh()
            if isinstance(event, SessionEnded):
                break
        if self._app.is_running:
            self._app.exit()

    def _refresh(self) -> None:
        # The cursor at the end keeps the newest line in view as the transcript scrolls.
        text = self.transcript.text
        self._conversation.buffer.set_document(Document(text, len(text)), bypass_readonly=True)
