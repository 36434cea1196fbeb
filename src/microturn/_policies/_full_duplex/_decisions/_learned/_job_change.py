"""What a turn does to a running background job, read against that job's own words.

The intent head reads a turn alone, and a remark with the shape of a job change reads as one whatever the job is:
"I also need a taxi to the station at seven" revises a table booking, "we've got a dog" changes nothing about a
flight search. Here the job's task (as it was asked for) and the turn are read together, as one text
(``paired``), through an encoder tuned for it (a low-rank adapter, ``_sentences/_tune.py``, stored in
``job-change.npz`` with the head), so that the reading depends on both: ``none``, ``revise_job``,
``cancel_job``, ``change_topic``, ``progress`` or ``delegate`` (a new job beside it).

Fitted on the ``train`` cases of ``eval/jobcontext/`` (617 turns against 66 jobs, written for it: the same turn
against two jobs often has two labels; split by job), cross-fitted as the intent head is (``_fit.fit_job_change``);
measured on its ``dev`` cases and out of fold by ``bench/job_changes.py``. ``LearnedIntent`` asks it when jobs
are running and their tasks are known (``IntentContext.jobs``), for the turns the intent head reads as none of
its other requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from microturn._sentences import Adapter, SentenceEncoder

__all__ = ["LABELS", "job_change_features", "paired"]

LABELS = ("none", "revise_job", "cancel_job", "change_topic", "progress", "delegate")
"""The head's labels: what the turn does to the job."""


def paired(task: str, text: str) -> str:
    """The job's task and the turn as the encoder reads them together."""
    return f"{task} . {text}"


def job_change_features(
    task: str, text: str, adapter: Adapter | None = None, *, encoder: SentenceEncoder | None = None
) -> npt.NDArray[np.float32]:
    """The mean and max pooling of ``paired(task, text)`` through the encoder tuned with ``adapter`` (the head's),
    or through ``encoder``."""
    import numpy as np

    from microturn._sentences import sentence_encoder

    pooled = (encoder or sentence_encoder(adapter)).pooled(paired(task, text))
    return np.concatenate([pooled.mean, pooled.max])
