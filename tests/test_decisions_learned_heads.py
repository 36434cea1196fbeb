"""The learned decisions' heads are never stale: each shipped ``.npz`` was fitted on the examples as they are now
(editing ``eval/trainset`` or a ``-train`` case without ``_fit.py`` fails here), and refitting reproduces it."""

from __future__ import annotations

import numpy as np
import pytest

from microturn._policies._full_duplex._decisions._learned._examples import JOBS, KINDS, examples, examples_sha256
from microturn._policies._full_duplex._decisions._learned._fit import FITTERS, HEADS, fit_approval
from microturn._policies._full_duplex._decisions._learned._heads import (
    APPROVAL,
    INTENT,
    JOB_CHANGE,
    MEMBER,
    OVERLAP,
    OVERLAP_SO_FAR,
    head,
)

FAMILIES = {
    INTENT: "intent",
    JOB_CHANGE: JOBS,
    MEMBER: KINDS,
    APPROVAL: "approval",
    OVERLAP: "overlap",
    OVERLAP_SO_FAR: "overlap",
}


def test_every_head_is_refitted_by_the_command() -> None:
    assert set(HEADS) == set(FAMILIES)
    assert set(HEADS) < set(FITTERS)


@pytest.mark.parametrize(("name", "family"), FAMILIES.items())
def test_each_shipped_head_was_fitted_on_the_current_examples(name: str, family: str) -> None:
    assert head(name).examples_sha256 == examples_sha256(examples(family))


def test_no_dev_case_is_an_example() -> None:
    for family in ("intent", "approval", "overlap"):
        assert not [case for case in examples(family) if str(case["id"]).endswith("-dev")]
    for family in (JOBS, KINDS):
        split = examples(family)
        assert split
        assert {case["split"] for case in split} == {"train"}


def test_refitting_reproduces_the_shipped_approval_head() -> None:
    """The smallest head (about 10 s); the others are refitted the same way by ``_fit.py`` (minutes)."""
    fitted, shipped = fit_approval(), head(APPROVAL)
    assert fitted.labels == shipped.labels
    np.testing.assert_allclose(fitted.weights, shipped.weights, atol=1e-5)
    np.testing.assert_allclose(fitted.bias, shipped.bias, atol=1e-5)
