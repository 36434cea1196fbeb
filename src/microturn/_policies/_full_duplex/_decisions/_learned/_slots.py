"""The slots of a request the learned head has recognised, read from its words by small general rules.

The head says *what* a turn asks for; these say the details a feature needs to carry it out: a timer's
seconds, whether it repeats, and what to say or remind of then; what a cue listens for and whether it cuts in;
which language to translate into; the task to delegate. Each returns None when the words do not say (a timer
with no time, a translation with no language): the policy then sets nothing and the model answers, which lets
it ask. They read the structure of English requests (a verb, "me", "to ..."), not any example's phrasing.
"""

from __future__ import annotations

from collections.abc import Sequence

from microturn._policies._full_duplex._decisions._cue_reply import USERS, cue_reply
from microturn._policies._full_duplex._decisions._interfaces import Slot
from microturn._policies._full_duplex._decisions._learned._durations import Duration, bare_minutes, durations, every
from microturn._policies._full_duplex._decisions._learned._features import PUNCTUATION

__all__ = ["LANGUAGES", "cue_slots", "language", "task", "timer_slots"]

LANGUAGES = frozenset(
    "afrikaans albanian amharic arabic armenian basque bengali bulgarian burmese cantonese catalan chinese "
    "croatian czech danish dutch english estonian farsi filipino finnish french german greek gujarati hausa "
    "hebrew hindi hungarian icelandic igbo indonesian irish italian japanese kannada korean kurdish latvian "
    "lithuanian malay malayalam maltese mandarin marathi nepali norwegian pashto persian polish portuguese "
    "punjabi romanian russian serbian sinhala slovak slovenian somali spanish swahili swedish tagalog tamil "
    "telugu thai tigrinya turkish ukrainian urdu vietnamese welsh xhosa yoruba zulu".split()
)
"""Languages a live translation may go into (the model translates; this only reads which one is asked)."""

_TELLING = frozenset(
    "remind reminding tell telling warn warning nudge nudging ping pinging alert buzz shout text message".split()
)
"""Verbs that ask to be told something later: "remind me to ...", "warn me that ..."."""
_SAYING = frozenset({"say", "announce"})
_SPEAKERS = frozenset({"i", "you", "we", "u", "they", "he", "she"})
"""A "say" after these is somebody's speech ("when i say"), not a request to say something."""
_TEXT_ENDS = frozenset({"so", "because", "please", "pls", "thanks", "thank", "ta", "if", "would", "could", "love"})
_TIMED = frozenset({"in", "after", "every", "each", "for", "at", "of", "intervals"})
"""Words that belong to the span of time after them ("in ten minutes", "at intervals of an hour")."""
_TOLD = frozenset({"to", "that", "about"})
"""What may open the words to be told: "remind me to ...", "warn me that ..."."""
_CONDITIONS = frozenset({"when", "whenever", "once", "if", "as"})
"""What opens a condition, not words to be told: "tell me when it's been an hour"."""
_INTO = frozenset({"into", "to", "in"})

_PHRASE_LEADS = frozenset(
    {"say", "saying", "said", "says", "mention", "mentioning", "use", "using", "hear", "name", "naming"}
)
_LISTEN_VERBS = frozenset({"listen", "watch", "look", "ear"})
_TALKING = frozenset({"talk", "talking", "speak", "speaking"})
"""Verbs that "about" opens what is listened for after: "when I talk about a car"."""
_SKIPPED = (
    ("me", "say"),
    ("me", "saying"),
    ("the", "word"),
    ("the", "words"),
    ("the", "phrase"),
    ("the", "name", "of"),
    ("the", "names", "of"),
    ("the", "name"),
)
_PHRASE_ENDS = frozenset(
    "and then that that's let tell stop interrupt flag ping just give jump beep shout alert so more at out when "
    "because please pls again each every if in or as cut buzz call catch notify can could say".split()
)
_NUMBERS = frozenset({"number", "numbers", "figure", "figures", "digit", "digits", "amount", "amounts"})
_WRONG = frozenset(
    "wrong wrongly mistake mistakes mistaken incorrect error errors inaccurate untrue false muddle mess misremember "
    "off".split()
)
"""Words that say the cue is for a mistake: "if I get a sum wrong", "if my maths is off", "if I mess up"."""
_CHECKING = frozenset({"correct", "check", "checking", "fact-check"})
"""Verbs of a cue for mistakes when it names nothing to listen for: "correct me as I go", "fact check me"."""
_INDEFINITE = frozenset({"a", "an", "any", "anything", "something", "some"})
"""What opens a kind of thing rather than a phrase to listen for: "when I say a number", "say anything untrue"."""
_OPENINGS = _INDEFINITE | {"kind", "type", "sort", "of"}
"""What opens the name of a kind of thing: "any kind of bird", "a type of cheese"."""
_RELATIVE = frozenset({"that", "which", "who", "you"})
"""What ends the name of a kind of thing and opens a clause about it: "any vegetables I mention", "a colour that"."""
_CUTTING_IN = frozenset({"stop", "interrupt", "cut", "jump", "correct", "buzz"})
"""Verbs of a cue that cuts the user off ("stop me when ...", "jump in if ...") rather than telling them."""

_FILLERS = frozenset(
    "um umm uh er erm so okay ok right hey yo oi and well please pls kindly just actually hi hello".split()
)
_FRAMES: tuple[tuple[str, ...], ...] = tuple(
    tuple(frame.split())
    for frame in (
        "can you please",
        "could you please",
        "would you please",
        "can u please",
        "can you",
        "could you",
        "would you",
        "will you",
        "can u",
        "could u",
        "i need you to",
        "i'd like you to",
        "i would like you to",
        "i want you to",
        "would you mind",
        "go and",
        "please",
    )
)
"""How a request may open before its verb ("could you please find ..."): the task is what follows."""


def timer_slots(said: Sequence[str]) -> dict[str, Slot] | None:
    """``seconds`` (and ``every`` when it repeats), and ``remind`` or ``say``: what to tell the user then."""
    spans = durations(said)
    repeat = every(said, spans)
    once = next((span for span in spans if repeat is None or span.start != repeat.start), None)
    if once is None and repeat is None:
        once = bare_minutes(said)
    timed = repeat or once
    if timed is None or timed.seconds <= 0:
        return None
    slots: dict[str, Slot] = {"seconds": timed.seconds}
    if repeat is not None:
        slots["every"] = repeat.seconds
    skipped = _spans_with_prepositions(said, [span for span in (*spans, repeat, once) if span is not None])
    for index, token in enumerate(said):
        before = said[index - 1] if index else ""
        if token in _TELLING and index + 1 < len(said) and said[index + 1] in {"me", "us"}:
            text = _clause(said, index + 2, skipped)
            if text:
                slots["remind"] = text
                break
        elif token in _SAYING and before not in _SPEAKERS:
            text = _clause(said, index + 1, skipped)
            if text:
                slots["say"] = text
                break
    return slots


def cue_slots(said: Sequence[str]) -> dict[str, Slot] | None:
    """``cue`` (``phrase``, ``number``, ``wrong-fact`` or ``category``), ``phrase`` or ``category``, ``interrupt``:
    what to listen for; and ``reply``, what to say when it fires, if the words say ("when I say banana say
    ding")."""
    slots = _listened_slots(said)
    reply = cue_reply(said)
    if slots is None or reply is None or slots["cue"] == "wrong-fact":
        return slots  # a mistake is answered with its correction
    return {**slots, "reply": reply}


def _listened_slots(said: Sequence[str]) -> dict[str, Slot] | None:
    interrupt = any(token in _CUTTING_IN for token in said)
    phrase = _listened_for(said)
    if phrase is not None and phrase.split()[0] not in _INDEFINITE and not _NUMBERS & set(phrase.split()):
        return {"cue": "phrase", "phrase": phrase, "interrupt": interrupt}
    heard = set(said)
    if _WRONG & heard or (_CHECKING & heard and phrase is None):
        return {"cue": "wrong-fact", "interrupt": True}
    if _NUMBERS & heard:
        return {"cue": "number"}
    category = _category(phrase)
    if category is not None:
        return {"cue": "category", "category": category, "interrupt": interrupt}
    return None


def _category(phrase: str | None) -> str | None:
    """The kind of thing a phrase opened by "a", "any" ... names: "a colour", "any kind of bird", "any vegetables
    I mention"; None if it names none ("anything")."""
    said = (phrase or "").split()
    if not said or said[0] not in _INDEFINITE:
        return None
    while said and said[0] in _OPENINGS:
        said = said[1:]
    end = next((at for at, word in enumerate(said) if word in USERS or word in _RELATIVE), len(said))
    return " ".join(said[:end]) or None


def language(said: Sequence[str]) -> str | None:
    """The language to translate into: the one after "into", "to" or "in" ("english to spanish"), else the
    last one named."""
    named = [index for index, token in enumerate(said) if token in LANGUAGES]
    into = [index for index in named if index > 0 and said[index - 1] in _INTO]
    return said[(into or named)[-1]] if named else None


def task(text: str) -> str:
    """The request without how it opens: "could you please find me a hotel" -> "find me a hotel"."""
    written = text.split()
    content = [word.strip(",.!?;:").lower().replace("\u2019", "'") for word in written]
    start = 0
    while start < len(content):
        if content[start] in _FILLERS and start + 1 < len(content):
            start += 1
            continue
        frame = next((f for f in _FRAMES if tuple(content[start : start + len(f)]) == f), None)
        if frame is None or start + len(frame) >= len(content):
            break
        start += len(frame)
    return " ".join(written[start:]).strip(" ,.")


def _listened_for(said: Sequence[str]) -> str | None:
    """The word or phrase after "when i say", "listen out for the word", "catch me saying" ..."""
    for index, token in enumerate(said):
        before = said[index - 1] if index else ""
        listening = (token == "for" and (before in _LISTEN_VERBS or before == "out")) or (
            token == "about" and before in _TALKING
        )
        if token not in _PHRASE_LEADS and not listening:
            continue
        if token == "say" and not (index and said[index - 1] in USERS):
            continue  # what to answer ("say ding when I say banana"), not what is said
        start = index + 1
        while skip := next((skip for skip in _SKIPPED if tuple(said[start : start + len(skip)]) == skip), None):
            start += len(skip)
        words: list[str] = []
        for word in said[start:]:
            if word in PUNCTUATION or (words and word in _PHRASE_ENDS):
                break
            words.append(word)
        if words:
            return " ".join(words)
    return None


def _spans_with_prepositions(said: Sequence[str], spans: Sequence[Duration]) -> set[int]:
    """The positions of the spans of time and of the words before each that belong to it ("in ten minutes")."""
    skipped: set[int] = set()
    for span in spans:
        skipped.update(range(span.start, span.end))
        before = span.start - 1
        while before >= 0 and said[before] in _TIMED:
            skipped.add(before)
            before -= 1
    return skipped


def _clause(said: Sequence[str], start: int, skipped: set[int]) -> str:
    """The words from ``start`` to the end of their clause, leaving out spans of time and what opens them
    ("to", "that")."""
    kept: list[str] = []
    for index in range(start, len(said)):
        word = said[index]
        if word in PUNCTUATION or word in _TEXT_ENDS:
            break
        if index in skipped:
            if kept:
                break
            continue
        if not kept and word in _CONDITIONS:
            return ""
        if kept or word not in _TOLD:
            kept.append(word)
    return " ".join(kept)
