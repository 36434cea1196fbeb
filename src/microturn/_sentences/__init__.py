"""Sentences as vectors: a small embedding model and trained heads over it, for decisions that read words.

The full-duplex policy's learned decisions (``_policies/_full_duplex/_decisions``) read what the user says
through these: an embedding of the words, then a head fitted on labelled examples (``eval/trainset``).
"""

from microturn._sentences._adapter import Adapter
from microturn._sentences._encoder import DIMENSIONS, Pooled, SentenceEncoder, sentence_encoder
from microturn._sentences._head import Head, fit_head, load_head
from microturn._sentences._logistic import fit_logistic

__all__ = [
    "DIMENSIONS",
    "Adapter",
    "Head",
    "Pooled",
    "SentenceEncoder",
    "fit_head",
    "fit_logistic",
    "load_head",
    "sentence_encoder",
]
