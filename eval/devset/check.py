#!/usr/bin/env python3
"""Validate the interaction development set (stdlib only).

Usage: python3 eval/devset/check.py [DIR]

Checks every *.jsonl family file against the schema in README.md, checks the
id/split convention and the dev share per label, looks for exact duplicates and
for pairs of cases that differ by a single swapped word, then prints counts per
family, label and split.  Exits 1 on any error.
The split rule is checked too: ids run 0001.. in file order, and within each
stratum (the label; for pause the label and the modality) the k-th case, counting
from 0 in file order, is dev iff k % 10 is 1, 4 or 7, else train.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict

FAMILIES = {
    "pause": {"min": 150, "labels": {"continue", "end"},
              "keys": {"id", "family", "modality", "context", "before", "pause", "after", "label"}},
    "overlap": {"min": 150, "labels": {"backchannel", "reaction", "side", "noise", "barge_in"},
                "keys": {"id", "family", "agent_saying", "user", "label"}},
    "narrative": {"min": 60, "labels": {"asks", "no_ask"},
                  "keys": {"id", "family", "modality", "sentences", "pauses", "asks_at_end"}},
    "intent": {"min": 150, "labels": {"timer", "cancel_timer", "cue", "cancel_cue", "live_start",
                                      "live_stop", "delegate", "progress", "cancel_job", "none"},
               "keys": {"id", "family", "text", "label", "slots"}},
    "approval": {"min": 60, "labels": {"yes", "no", "unclear"},
                 "keys": {"id", "family", "question", "answer", "label"}},
}
TOTAL_MIN = 500
DEV_SLOTS = (1, 4, 7)  # fixed split: k-th case (from 0) of a stratum is dev iff k % 10 in DEV_SLOTS
DEV_SHARE = (0.2, 0.4)  # allowed dev share for a label with at least 5 cases

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def is_text(v):
    return isinstance(v, str) and v.strip() != "" and v == v.strip()


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_pause(c, w):
    if c.get("modality") not in ("spoken", "typed"):
        err(w, "modality must be spoken or typed")
    ctx = c.get("context")
    if not isinstance(ctx, list) or len(ctx) > 3:
        err(w, "context must be a list of 0-3 turns")
    else:
        for t in ctx:
            if not isinstance(t, dict) or set(t) != {"speaker", "text"}:
                err(w, "context turn must be {speaker, text}")
            elif t["speaker"] not in ("user", "agent") or not is_text(t["text"]):
                err(w, "context turn has a bad speaker or empty text")
    if not is_text(c.get("before")):
        err(w, "before must be non-empty text")
    p = c.get("pause")
    if not is_num(p) or not 0.3 <= p <= 2.0:
        err(w, "pause must be a number in 0.3-2.0")
    a = c.get("after")
    if not isinstance(a, str) or a != a.strip():
        err(w, "after must be a string without outer spaces")
    lab = c.get("label")
    if lab == "end" and a != "":
        err(w, "label end needs after == ''")
    if lab == "continue" and a == "":
        err(w, "label continue needs non-empty after")
    return lab


def check_overlap(c, w):
    if not is_text(c.get("agent_saying")):
        err(w, "agent_saying must be non-empty text")
    if not is_text(c.get("user")):
        err(w, "user must be non-empty text")
    return c.get("label")


def check_narrative(c, w):
    if c.get("modality") != "spoken":
        err(w, "modality must be spoken")
    s, p = c.get("sentences"), c.get("pauses")
    if not isinstance(s, list) or len(s) < 2 or not all(is_text(x) for x in s):
        err(w, "sentences must be a list of >= 2 non-empty strings")
        return None
    if not isinstance(p, list) or len(p) != len(s) - 1:
        err(w, "pauses must have len(sentences)-1 entries")
    elif not all(is_num(x) and 0.5 <= x <= 1.5 for x in p):
        err(w, "each pause must be a number in 0.5-1.5")
    a = c.get("asks_at_end")
    if not isinstance(a, bool):
        err(w, "asks_at_end must be true or false")
        return None
    return "asks" if a else "no_ask"


def check_slots(label, slots, w):
    if not isinstance(slots, dict):
        err(w, "slots must be an object")
        return
    keys = set(slots)
    if label == "timer":
        if not keys >= {"seconds"} or not keys <= {"seconds", "text", "every"}:
            err(w, "timer slots: seconds, optional text, optional every")
        if not is_num(slots.get("seconds")) or slots.get("seconds", 0) <= 0:
            err(w, "timer seconds must be a positive number")
        if "text" in slots and not is_text(slots["text"]):
            err(w, "timer text must be non-empty text")
        if "every" in slots and slots["every"] is not True:
            err(w, "timer every must be true when present")
    elif label == "cue":
        if keys != {"watch"} or not is_text(slots["watch"]):
            err(w, "cue slots must be {watch: text}")
    elif label == "live_start":
        mode = slots.get("mode")
        if mode not in ("repeat", "translate") or not keys <= {"mode", "language"}:
            err(w, "live_start slots: mode repeat|translate, optional language")
        if mode == "translate" and not is_text(slots.get("language")):
            err(w, "live_start translate needs a language")
        if "language" in slots and not is_text(slots["language"]):
            err(w, "live_start language must be non-empty text")
    elif label == "delegate":
        if keys != {"task"} or not is_text(slots["task"]):
            err(w, "delegate slots must be {task: text}")
    elif slots:
        err(w, f"label {label} takes no slots")


def check_intent(c, w):
    if not is_text(c.get("text")):
        err(w, "text must be non-empty text")
    lab = c.get("label")
    if lab in FAMILIES["intent"]["labels"]:
        check_slots(lab, c.get("slots"), w)
    return lab


def check_approval(c, w):
    if not is_text(c.get("question")) or "?" not in c.get("question", ""):
        err(w, "question must be non-empty text with a question mark")
    if not is_text(c.get("answer")):
        err(w, "answer must be non-empty text")
    return c.get("label")


CHECKERS = {"pause": check_pause, "overlap": check_overlap, "narrative": check_narrative,
            "intent": check_intent, "approval": check_approval}


def tokens(s):
    return re.findall(r"[a-z0-9']+", s.lower())


def content(fam, c):
    """The (fixed part, varying text) that two cases must not share up to one swapped word."""
    if fam == "pause":
        fixed = " / ".join(t["text"] for t in c["context"]) + " | " + c["modality"]
        return fixed, c["before"] + " " + c["after"]
    if fam == "overlap":
        return c["agent_saying"], c["user"]
    if fam == "narrative":
        return "", " ".join(c["sentences"])
    if fam == "intent":
        return "", c["text"]
    return c["question"], c["answer"]


def one_word_apart(a, b):
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    ids = set()
    stats = {}
    for fam, spec in FAMILIES.items():
        path = os.path.join(root, fam + ".jsonl")
        if not os.path.exists(path):
            err(path, "missing")
            continue
        cases = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                w = f"{fam}.jsonl:{n}"
                if not line.strip():
                    err(w, "blank line")
                    continue
                try:
                    c = json.loads(line)
                except json.JSONDecodeError as e:
                    err(w, f"bad JSON: {e}")
                    continue
                if not isinstance(c, dict):
                    err(w, "not an object")
                    continue
                if set(c) != spec["keys"]:
                    err(w, f"keys {sorted(c)} != {sorted(spec['keys'])}")
                    continue
                cid = c["id"]
                w = f"{fam}.jsonl:{n} ({cid})"
                m = re.fullmatch(rf"{fam}-(\d{{4}})-(train|dev)", cid) if isinstance(cid, str) else None
                if not m:
                    err(w, f"id must look like {fam}-0001-train or {fam}-0001-dev")
                    continue
                if cid in ids:
                    err(w, "duplicate id")
                ids.add(cid)
                if c["family"] != fam:
                    err(w, f"family must be {fam}")
                lab = CHECKERS[fam](c, w)
                if lab not in spec["labels"]:
                    err(w, f"label {lab!r} not in {sorted(spec['labels'])}")
                    continue
                cases.append((w, lab, m.group(2), c))
        if len(cases) < spec["min"]:
            err(path, f"{len(cases)} valid cases, need >= {spec['min']}")
        # fixed split: ids numbered in file order; dev chosen by position within the stratum
        seen_k = Counter()
        for n, (w, lab, split, c) in enumerate(cases, 1):
            if int(c["id"].split("-")[1]) != n:
                err(w, f"id number should be {n:04d} (ids run 0001.. in file order)")
            stratum = (lab, c["modality"]) if fam == "pause" else lab
            k = seen_k[stratum]
            seen_k[stratum] += 1
            want = "dev" if k % 10 in DEV_SLOTS else "train"
            if split != want:
                err(w, f"split should be {want} (case {k} of stratum {stratum})")
        # duplicates and single swapped words
        groups = defaultdict(list)
        seen = {}
        for w, _, _, c in cases:
            fixed, text = content(fam, c)
            key = (fixed, tuple(tokens(text)))
            if key in seen:
                err(w, f"duplicate of {seen[key]}")
            seen[key] = w
            groups[(fixed, len(key[1]))].append((w, key[1]))
        for grp in groups.values():
            for i in range(len(grp)):
                for j in range(i + 1, len(grp)):
                    if len(grp[i][1]) >= 2 and one_word_apart(grp[i][1], grp[j][1]):
                        err(grp[j][0], f"differs from {grp[i][0]} by one swapped word")
        stats[fam] = cases
    # report
    total = 0
    print(f"{'family':<10} {'label':<13} {'train':>6} {'dev':>5} {'total':>6} {'dev%':>5}")
    for fam, cases in stats.items():
        by = Counter((lab, split) for _, lab, split, _ in cases)
        for lab in sorted(FAMILIES[fam]["labels"]):
            tr, dv = by[(lab, "train")], by[(lab, "dev")]
            n = tr + dv
            share = dv / n if n else 0.0
            print(f"{fam:<10} {lab:<13} {tr:>6} {dv:>5} {n:>6} {share:>5.0%}")
            if n == 0:
                err(fam, f"no case labelled {lab}")
            elif n >= 5 and not DEV_SHARE[0] <= share <= DEV_SHARE[1]:
                err(fam, f"label {lab}: dev share {share:.0%} outside 20-40%")
        tr = sum(1 for x in cases if x[2] == "train")
        print(f"{fam:<10} {'(all)':<13} {tr:>6} {len(cases) - tr:>5} {len(cases):>6} "
              f"{(len(cases) - tr) / max(len(cases), 1):>5.0%}")
        total += len(cases)
    print(f"total cases: {total}")
    if total < TOTAL_MIN:
        err("all", f"{total} cases, need >= {TOTAL_MIN}")
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
