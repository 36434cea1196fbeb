"""What a turn asks for, by rule: patterns over its normalised words, and a yes/no reader for approvals.

The patterns are deliberately plain; a request they do not recognise reads as ``none`` and is simply
answered by the model. Negation is read only where a mode must keep going: "please don't stop translating" and
"don't cancel the cue" are negated, but "don't stop the timer" still reads as stopping it. A bare "stop" ("ok
stop", "that's enough", "wait, stop") is ``live_stop`` when it is the whole of the turn's last clause: "the bus stop
is near" is no request. With a question
pending, the turn is read as its answer alone, whatever the question (``_answers.py``: only a clear yes is
a yes). With background
jobs running, the words that cancel or revise one ("never mind", "actually", "something else") are read
too, whatever else the turn asks for.
"""

from __future__ import annotations

import re

from microturn._core._language import NUMBER_WORDS, number_value, words
from microturn._policies._full_duplex._answers import yes_or_no
from microturn._policies._full_duplex._decisions._cue_reply import cue_reply
from microturn._policies._full_duplex._decisions._interfaces import NOTHING, IntentContext, IntentReading, Slot

__all__ = ["RulesIntent", "read_request"]

_PROGRESS = re.compile(
    r"\b(how(?:'s| is) (?:it|that|the \w+) going|any (?:progress|news|luck|update)|are you (?:done|finished)"
    r"|how far (?:along )?are you|status update|still working)\b"
)
_DELEGATE = re.compile(
    r"^(?:(?:can|could|would) you (?:please )?|please |i need you to |go and )?"
    r"(?P<task>(?:find|look up|search for|research|look into|book|compare|plan|figure out|work out|check on"
    r"|send|email|write to|order|buy|pay|delete|clean up|organi[sz]e)\b.+)$"
)


_NUMBER = r"(?P<n>\d+(?:\.\d+)?|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety) )?[a-z]+|an?|half an?)"
_UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?)"
_SPAN = rf"{_NUMBER} {_UNIT}"
_LANGUAGES = ("spanish", "french", "german", "italian")

_REMIND_PATTERNS = (
    re.compile(rf"\bremind me (?:in|after) {_SPAN}(?: to (?P<text>.+))?$"),
    re.compile(rf"\bremind me to (?P<text>.+?) (?:in|after) {_SPAN}$"),
)
_SAY_PATTERNS = (
    re.compile(rf"\b(?:in|after) {_SPAN},? (?:say|tell me) (?P<text>.+)$"),
    re.compile(rf"\b(?:say|tell me) (?P<text>.+?) (?:in|after) {_SPAN}$"),
)
_SET_PATTERN = re.compile(rf"\bset an? (?:timer|alarm) for {_SPAN}$")
_REPEAT_PATTERNS = (
    # First: "tell me the time every 30 seconds" asks for the time, not for those words to be said.
    re.compile(rf"\b(?:tell me|let me know|ping me|count)(?: how much time has passed| the time)? every {_SPAN}$"),
    re.compile(rf"\bevery {_SPAN},? (?:say|tell me) (?P<text>.+)$"),
    re.compile(rf"\b(?:say|tell me) (?P<text>.+?) every {_SPAN}$"),
)
_TIMER_PATTERNS = (
    *((pattern, "remind") for pattern in _REMIND_PATTERNS),
    *((pattern, "say") for pattern in _SAY_PATTERNS),
    (_SET_PATTERN, "remind"),
    *((pattern, "every") for pattern in _REPEAT_PATTERNS),
)
"""Each pattern, tried in this order, with what its words are: a reminder's subject, words to say, or (when it
repeats) words to say every time."""
_ASKING = re.compile(r"(?:how|what|why|where|when|which|who|can you tell me how)\b")
_STOP_TIMERS = re.compile(r"\b(?:stop|cancel|clear)(?: the| all| my)? (?:timers?|reminders?|counting|alarms?)\b")

_CUE_NUMBER = re.compile(r"\b(?:tell|let) me(?: know)? (?:when(?:ever)?|if) i (?:say|mention|use) (?:a|any) number")
_CUE_WRONG = re.compile(
    r"\b(?:stop|correct|tell) me (?:if|when(?:ever)?) i "
    r"(?:get (?:a|any)(?: \w+)? (?:fact|facts|sum|sums|math) wrong"
    r"|(?:am|'m) wrong|make a mistake|say something wrong)"
)
_QUOTED = r"(?:that |the words? |the phrase |the name )?(?P<phrase>.+)$"
_CUE_STOP = re.compile(rf"\bstop me (?:if|when(?:ever)?) i (?:say|mention|use) {_QUOTED}")
_CUE_TELL = re.compile(rf"\b(?:tell|let) me(?: know)? (?:when(?:ever)?|if) i (?:say|mention|use) {_QUOTED}")
_STOP_CUES = re.compile(
    r"\b(?:stop|quit) (?:watching|listening(?: out)? for|checking)\b"
    r"|\b(?:cancel|forget|clear|remove|delete|drop|stop|end|turn off|switch off)"
    r"(?: the| that| this| my| those| these| all(?: the| my)?)? cues?\b"
    r"|\bno more cues?\b|\bstop (?:telling|alerting|warning) me (?:when|if|about)\b"
)

_LIVE = re.compile(rf"\btranslate (?:everything |what i say )?(?:into|to) (?P<lang>{'|'.join(_LANGUAGES)})\b")
_REPEAT = re.compile(r"\brepeat (?:after me|everything i say|what i say)\b")
_STOP_LIVE = re.compile(
    r"\b(?:stop|quit|end|finish|cancel)(?: the)? (?:translating|translation|interpreting|repeating)\b"
    r"|\bno more (?:translating|translation|repeating)\b"
)
_HALT_LEAD = r"(?:(?:ok|okay|alright|all right|right|so|well|now|please|thanks|thank you|yes|yeah|no|hey|fine|wait) )*"
_HALT = (
    r"(?:(?:please )?stop(?: it| that| there| now| please| stop)*|enough|that's enough|that is enough"
    r"|that will do|that'll do|you can stop(?: now)?)"
)
_STOP_BARE = re.compile(rf"^{_HALT_LEAD}{_HALT}(?: (?:now|please|thanks|thank you|for now|then))*$")
"""A bare stop: the whole clause asks the agent to stop, whatever it is doing ("okay that's enough for now")."""
_NOT_STOPPING = re.compile(
    r"\b(?:don't|dont|do not|never|no need to)(?: you| ever| please)? (?:stop|cancel|end|quit|forget)\b"
)
"""A stop in a negation's scope: "please don't stop translating", "do not cancel the cue"."""
_CLAUSE_END = frozenset({".", "?", "!"})

_CANCEL_JOB = re.compile(r"\b(never ?mind|forget (?:it|that|about)|cancel (?:that|it|the)|don'?t bother|no need)\b")
_REVISE_JOB = re.compile(
    r"\b(actually|instead|i mean|rather|make (?:it|that)|change (?:it|that)|no,? wait|scratch that"
    r"|correction)\b"
)
_TOPIC = re.compile(r"\b(something else|change (?:of|the) (?:subject|topic)|different topic|another topic)\b")

_SOFT = (
    r"(?:(?:ok(?:ay)?|sorry|yes|yeah|yep|right|alright|oh|um|uh|so|anyway|please|and|fine|good|thanks|no"
    r"|wait|hold on|hang on) )*"
)
"""Words a short request may open with ("ok, go on", "sorry, keep going", "oh wait", "wait, ok, go on")."""
_RESUME = re.compile(
    rf"^{_SOFT}(?:(?:(?:please |you can |do )?(?:go on|go ahead|carry on|continue|keep going|resume)"
    r"(?: (?:with |on with )?(?:it|that|the story|your story|the rest|what you were saying))?)"
    r"|where were (?:you|we)|what were you saying|you were saying|as you were|then what|what happened next"
    r"|(?:finish|tell me the rest of) (?:it|that|the story|your story))(?: please| then| now)?$"
)
"""A whole turn asking the agent to go on with what it was saying (the policy resumes it if the user cut it)."""
_WAIT = re.compile(
    rf"^{_SOFT}(?:(?:wait|hold on|hang on|pause|shh+|hush)(?: (?:wait|please|a (?:sec|second|moment|minute)|a bit))*"
    r"|(?:one|just a|give me a) (?:sec|second|moment|minute)(?: please)?)$"
)
"""A whole turn asking the agent only to hold on ("wait", "hang on a sec"): it says nothing and waits."""
_STORY = re.compile(
    r"\b(?:tell|read|give) (?:me |us )?(?:a |another |one more |an? \w+ )?(?:\w+ )?(?:story|tale|fairy ?tale)\b"
    r"|\bstory (?:about|of|with)\b"
)
"""A request for a story ("tell me a story", "tell us a bedtime story", "a story about a dragon")."""

_TAIL_WORDS = 48
"""Timer requests end the turn ("... remind me in 5 minutes to stretch"): their patterns read only its last words.
Their lazy ``.+?`` would otherwise be tried from every "say" or "remind me" in a long turn: quadratic."""


class RulesIntent:
    def read(self, text: str, context: IntentContext) -> IntentReading:
        if context.question is not None:
            verdict = yes_or_no(text)
            return IntentReading("unclear" if verdict is None else "yes" if verdict else "no")
        reading = read_request(text)
        if not context.jobs_running:
            return reading
        job = _job_change(" ".join(words(text)))
        if job is None:
            return reading
        label = reading.label if reading.label != "none" else "revise_job" if job["job"] == "revise" else "cancel_job"
        return IntentReading(label, {**reading.slots, **job})


def read_request(text: str) -> IntentReading:
    """The request about the conversation ``text`` makes, if any. Linear in its length: every pattern is either
    tried at each position with a bounded match, or runs over the last ``_TAIL_WORDS`` words only."""
    tokens = words(text)
    said = " ".join(token for token in tokens if token not in {",", ".", "?", "!"})
    if _STOP_LIVE.search(said) or _STOP_BARE.match(_last_clause(tokens)):
        return IntentReading("live_stop", negated=bool(_NOT_STOPPING.search(said)))
    if _STOP_TIMERS.search(said) and not _ASKING.match(said):
        return IntentReading("cancel_timer")  # but "how do I cancel my alarm" is a question, not a request
    if _STOP_CUES.search(said):
        return IntentReading("cancel_cue", negated=bool(_NOT_STOPPING.search(said)))
    live = _LIVE.search(said)
    if live:
        return IntentReading("live_start", {"language": live["lang"]})
    if _REPEAT.search(said):
        return IntentReading("live_start")
    if _PROGRESS.search(said):
        return IntentReading("progress")
    reading = _cue(said) or _timer(" ".join(said.split(" ")[-_TAIL_WORDS:]))
    if reading is not None:
        return reading
    if _WAIT.match(said):
        return IntentReading("wait")
    if _RESUME.match(said):
        return IntentReading("resume")
    if _STORY.search(said) and not _ASKING.match(said):
        return IntentReading("story")  # but "what story did you like" is a question about one
    delegate = _DELEGATE.match(said)
    return IntentReading("delegate", {"task": delegate["task"]}) if delegate else NOTHING


def _last_clause(tokens: list[str]) -> str:
    """The words after the last full stop, question or exclamation mark ("good morning. stop": "stop")."""
    start = max(
        (index + 1 for index, token in enumerate(tokens) if token in _CLAUSE_END and index + 1 < len(tokens)), default=0
    )
    return " ".join(token for token in tokens[start:] if token not in {",", ".", "?", "!"})


def _job_change(said: str) -> dict[str, Slot] | None:
    """How the turn changes the background jobs, if it does (see ``IntentReading``)."""
    cancel, revise, topic = _CANCEL_JOB.search(said), _REVISE_JOB.search(said), _TOPIC.search(said)
    if not (cancel or revise or topic):
        return None
    change = "cancel" if cancel else "topic" if topic else "revise"
    return {"job": change, "jobs": "all" if topic else "latest"}


def _cue(said: str) -> IntentReading | None:
    reply = cue_reply(said.split())
    answer: dict[str, Slot] = {} if reply is None else {"reply": reply}
    if _CUE_NUMBER.search(said):
        return IntentReading("cue", {"cue": "number", **answer})
    if _CUE_WRONG.search(said):
        return IntentReading("cue", {"cue": "wrong-fact", "interrupt": True})
    for pattern, interrupt in ((_CUE_STOP, True), (_CUE_TELL, False)):
        found = pattern.search(said)
        if found:
            slots: dict[str, Slot] = {"cue": "phrase", "phrase": found["phrase"], "interrupt": interrupt}
            return IntentReading("cue", {**slots, **answer})
    return None


def _timer(said: str) -> IntentReading | None:
    for pattern, meaning in _TIMER_PATTERNS:
        found = pattern.search(said)
        if not found:
            continue
        seconds = _seconds(found["n"], found["unit"])
        if seconds is None or seconds <= 0:
            continue
        slots: dict[str, Slot] = {"seconds": seconds}
        text = (found.groupdict().get("text") or "").strip()
        if meaning == "every":
            slots["every"] = seconds
        if text:
            slots["remind" if meaning == "remind" else "say"] = text
        return IntentReading("timer", slots)
    return None


def _seconds(number: str, unit: str) -> float | None:
    if number in {"a", "an"}:
        value: float | None = 1.0
    elif number.startswith("half"):
        value = 0.5
    else:
        parts = number.split()
        values = [number_value(part) for part in parts]
        if any(v is None for v in values) or (parts and parts[-1] not in NUMBER_WORDS and not parts[-1][0].isdigit()):
            return None
        value = sum(v for v in values if v is not None)
    scale = 60.0 if unit.startswith("min") else 3600.0 if unit.startswith("hour") else 1.0
    return None if value is None else value * scale
