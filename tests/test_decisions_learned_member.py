"""The learned member head (``_learned/_member.py``): a word is read as one of a kind of thing in the meaning it has
where it is said. Sentences here are not in ``eval/categories`` (its dev kinds measure the head:
``bench/category_cues.py``); the kinds are ones a user might name."""

from __future__ import annotations

import pytest

from microturn._policies._full_duplex._decisions import make_decisions
from microturn._policies._full_duplex._decisions._learned import LearnedMember
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import DEFAULT_WAITS


@pytest.fixture(scope="module")
def member() -> LearnedMember:
    return LearnedMember()


def heard(member: LearnedMember, category: str, text: str) -> list[str]:
    said = text.split()
    return [word for at, word in enumerate(said) if member.is_member(category, word, said[:at])]


@pytest.mark.parametrize(
    ("category", "text", "members"),
    [
        ("colour", "we bought a kettle and a grey toaster for the flat", ["grey"]),
        ("colour", "i like green", ["green"]),
        ("animal", "there was a giraffe at the zoo", ["giraffe"]),
        ("fruit", "i had a sliced mango with my porridge this morning", ["mango"]),
        ("city", "we flew from madrid to lisbon last spring", ["madrid", "lisbon"]),
        ("bird", "a robin sat on the fence", ["robin"]),
    ],
)
def test_members_said_plainly_are_heard(member: LearnedMember, category: str, text: str, members: list[str]) -> None:
    assert heard(member, category, text) == members


@pytest.mark.xfail(strict=True, reason="known gap (docs/decisions.md): the set has almost no prototypical members")
@pytest.mark.parametrize(
    ("category", "text", "members"),
    [
        ("colour", "my car is red", ["red"]),
        ("fruit", "an apple a day", ["apple"]),
        ("month", "see you in june", ["june"]),
        ("vehicle", "i took the bus", ["bus"]),
    ],
)
def test_the_plainest_members_are_missed(member: LearnedMember, category: str, text: str, members: list[str]) -> None:
    """Some of the commonest members, said plainly, still read as none: ``eval/categories`` was first written to be
    hard (navy, lilac, amber; "june" as a name), its plain batch covers the train kinds only (month and vehicle are
    dev kinds), and a member said last, with nothing after it to show its meaning, is the weakest place. Weighing
    the word's cosine to the kind beside the head (tried in session 14) lifts "my car is red" to 0.42, not enough.
    When the head has learned the kinds' prototypes (more kinds with plain members), these pass and this marker
    goes."""
    assert heard(member, category, text) == members


@pytest.mark.parametrize(
    ("category", "text"),
    [
        ("colour", "the kitchen needs a fresh coat of paint before we sell"),
        ("animal", "i booked the vet for tuesday and bought more pet food"),
        ("fruit", "we drank a glass of juice in the orchard"),
    ],
)
def test_related_words_are_not_members(member: LearnedMember, category: str, text: str) -> None:
    assert heard(member, category, text) == []


def test_the_learned_decisions_carry_it_and_the_rules_hear_the_name_only() -> None:
    assert isinstance(make_decisions("learned", DEFAULT_WAITS).member, LearnedMember)
    rules = make_decisions("rules", DEFAULT_WAITS).member
    assert rules.is_member("colour", "colours", ["what"])
    assert not rules.is_member("colour", "red", ["a"])
