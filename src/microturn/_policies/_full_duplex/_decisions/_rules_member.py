"""The baseline ``Member``: a word is one of a category only if it is the category's own name ("colour", "colours")."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["RulesMember"]


class RulesMember:
    """No list of colours, animals or cities is written here: the rules hear the kind's name and nothing else."""

    def is_member(self, category: str, word: str, before: Sequence[str]) -> bool:
        name = category.split()[-1] if category.split() else category
        return word.removesuffix("'s") in {name, f"{name}s", f"{name}es"}
