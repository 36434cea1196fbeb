#!/usr/bin/env python3
"""Validate eval/jobcontext/cases.jsonl (stdlib only). Exits 1 on any error."""
import collections
import json
import os
import re
import sys

KEYS = {"id", "job", "text", "modality", "label", "split"}
LABELS = ["none", "revise_job", "cancel_job", "delegate", "progress", "change_topic"]
MODALITIES = {"spoken", "typed"}
SPLITS = {"train", "dev"}
MIN_CASES = 600

path = (sys.argv[1] if len(sys.argv) > 1 else
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.jsonl"))
errors = []
cases = []
with open(path, encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        if not line.strip():
            errors.append(f"line {ln}: empty line")
            continue
        try:
            c = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {ln}: bad JSON: {e}")
            continue
        if not isinstance(c, dict) or set(c) != KEYS:
            errors.append(f"line {ln}: keys must be exactly {sorted(KEYS)}")
            continue
        for k in KEYS:
            if not isinstance(c[k], str) or not c[k].strip():
                errors.append(f"line {ln}: {k} must be a non-empty string")
        if c["label"] not in LABELS:
            errors.append(f"line {ln}: unknown label {c['label']!r}")
        if c["modality"] not in MODALITIES:
            errors.append(f"line {ln}: unknown modality {c['modality']!r}")
        if c["split"] not in SPLITS:
            errors.append(f"line {ln}: unknown split {c['split']!r}")
        want = f"jobcontext-{len(cases) + 1:04d}"
        if c["id"] != want:
            errors.append(f"line {ln}: id {c['id']!r}, expected {want!r}")
        cases.append(c)

pairs = collections.Counter((c["job"], c["text"]) for c in cases)
for (job, text), n in pairs.items():
    if n > 1:
        errors.append(f"duplicate (job, text) x{n}: {job!r} / {text!r}")

splits_of_job = collections.defaultdict(set)
for c in cases:
    splits_of_job[c["job"]].add(c["split"])
for job, s in splits_of_job.items():
    if len(s) > 1:
        errors.append(f"job in both splits: {job!r}")

if len(cases) < MIN_CASES:
    errors.append(f"only {len(cases)} cases, need at least {MIN_CASES}")

# same text under different jobs (minimal pairs): report, not an error
by_text = collections.defaultdict(set)
for c in cases:
    by_text[c["text"]].add((c["label"], c["job"]))
minimal_pairs = {t: v for t, v in by_text.items() if len({l for l, _ in v}) > 1}

print(f"cases: {len(cases)}   jobs: {len(splits_of_job)} "
      f"(train {sum(1 for s in splits_of_job.values() if s == {'train'})}, "
      f"dev {sum(1 for s in splits_of_job.values() if s == {'dev'})})")
print(f"{'label':<14}{'train':>7}{'dev':>6}{'all':>6}")
by = collections.Counter((c["label"], c["split"]) for c in cases)
for lab in LABELS:
    tr, dv = by[(lab, "train")], by[(lab, "dev")]
    print(f"{lab:<14}{tr:>7}{dv:>6}{tr + dv:>6}")
tr = sum(1 for c in cases if c["split"] == "train")
print(f"{'all':<14}{tr:>7}{len(cases) - tr:>6}{len(cases):>6}")
mod = collections.Counter(c["modality"] for c in cases)
print("modality: " + ", ".join(f"{m} {mod[m]}" for m in sorted(mod)))
print(f"texts used with different labels under different jobs: {len(minimal_pairs)}")

if errors:
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    print(f"{len(errors)} error(s)", file=sys.stderr)
    sys.exit(1)
print("OK")
