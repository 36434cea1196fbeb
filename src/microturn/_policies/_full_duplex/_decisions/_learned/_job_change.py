"""What a turn does to a running background job, read against that job's own words.

The intent head reads a turn alone, and a remark with the shape of a job change reads as one whatever the job is:
"I also need a taxi to the station at seven" revises a table booking, "we've got a dog" changes nothing about a
flight search. Here the job's task (as it was asked for) and the turn are read together, as one text
(``paired``), through an encoder tuned for it (a low-rank adapter, ``_sentences/_tune.py``, stored in
``job-change.npz`` with the head), so that the reading depends on both: ``none``, ``revise_job``,
``cancel_job``, ``change_topic``, ``progress`` or ``delegate`` (a new job beside it).

Fitted on the ``train`` cases of ``eval/jobcontext/`` (1,042 turns against 102 jobs, 888 of them against 85 jobs
in the train split; written for it: the same turn against two jobs often has two labels; split by job),
cross-fitted as the intent head is (``_fit.fit_job_change``); measured on its ``dev`` cases and out of fold by
``bench/job_changes.py``. ``LearnedIntent`` asks it when jobs are running and their tasks are known
(``IntentContext.jobs``), for the turns the intent head reads as none of its other requests.

**Which job** a change is about, when several run and the turn names none, is not this head's to say: it reads a
turn against one job, and a change's words read as a change of any job ("make it saturday" revises a flight
search and a table booking alike). ``aimed_at`` picks the job whose task means the most like the turn (the
encoder as shipped: "a washer dryer would be better" is about the washing machines, "somewhere with a sea view"
about the hotel), the latest unless another is clearly closer (``AIM_MARGIN``). On the set's turns that change a
job, each beside another job of the set in either order (``bench/job_changes.py``), it picks the right one
for 83% (train) and 84% (dev), where the latest is right for half and the jobs the words name, else the latest,
for 63% and 63%.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from microturn._sentences import Adapter, SentenceEncoder

__all__ = ["AIM_MARGIN", "LABELS", "aimed_at", "job_change_features", "paired"]

LABELS = ("none", "revise_job", "cancel_job", "change_topic", "progress", "delegate")
"""The head's labels: what the turn does to the job."""
AIM_MARGIN = 0.02
"""How much closer in meaning (cosine) an earlier job's task must be to the turn than the latest's to be the one
it changes: near ties go to the latest. Chosen on the set's train split (``bench/job_changes.py --split train``,
among 0, 0.02, 0.05 and 0.1: 0.02 is within half a point of the best, 0)."""


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


def aimed_at(text: str, tasks: tuple[str, ...], margin: float = AIM_MARGIN) -> str:
    """The task (of ``tasks``, oldest first) of the job a change ``text`` is about (see the module's docstring);
    an earlier one only if it is closer than the latest by more than ``margin``."""
    from microturn._sentences import sentence_encoder

    encoder = sentence_encoder()
    turn = encoder.encode(text)
    closeness = [float(turn @ encoder.encode(task)) for task in tasks]
    best = max(range(len(tasks)), key=closeness.__getitem__)
    return tasks[best] if closeness[best] > closeness[-1] + margin else tasks[-1]
