#!/usr/bin/env python3
"""Validate the interaction TRAINING set (stdlib only, imports nothing from the devset).

Usage: python3 eval/trainset/check.py [TRAIN_DIR [DEV_DIR]]

Checks intent/overlap/approval/pause/narrative .jsonl against the devset schema (same fields, labels and
slot rules), pause2.jsonl (a turn's second stretch; no devset family of its own) against its own schema, ids (<family>-t0001.. in file order), minimum counts per label, exact duplicates and
one-swapped-word pairs inside the training set, and that no training case equals or one-word-swaps
a case of the devset (the devset files are read here only to compare; nothing is printed from
them except the id of a clashing dev case); pause2 is compared with the pause cases of the devset and of
the training set. Prints counts; exits 1 on any error.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = sys.argv[1] if len(sys.argv) > 1 else HERE
DEV = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(HERE), "devset")

SPEC = {
    "intent": {"keys": {"id", "family", "text", "label", "slots"}, "total": 800,
               "labels": {"timer": 50, "cancel_timer": 50, "cue": 50, "cancel_cue": 50, "live_start": 50,
                          "live_stop": 50, "delegate": 50, "progress": 50, "cancel_job": 50, "none": 200,
                          "revise_job": 50, "change_topic": 50, "resume": 50, "wait": 50, "story": 30}},
    "overlap": {"keys": {"id", "family", "agent_saying", "user", "label"}, "total": 500,
                "labels": {"backchannel": 80, "reaction": 80, "side": 80, "noise": 80, "barge_in": 80}},
    "approval": {"keys": {"id", "family", "question", "answer", "label"}, "total": 300,
                 "labels": {"yes": 100, "no": 80, "unclear": 100}},
    "pause": {"keys": {"id", "family", "modality", "context", "before", "pause", "after", "label"}, "total": 400,
              "labels": {"continue": 180, "end": 180}},
    "narrative": {"keys": {"id", "family", "modality", "sentences", "pauses", "asks_at_end"}, "total": 80,
                  "labels": {"asks": 35, "no_ask": 35}},
    "pause2": {"keys": {"id", "family", "modality", "context", "first", "first_pause", "before", "pause", "after",
                        "label"}, "total": 250,
               "labels": {"continue": 100, "end": 100}},
}
COMPARE_WITH = {"pause2": "pause"}   # pause2 has no dev file: its texts must not reuse a pause case's

PAUSE_RANGE = (0.3, 3.0)      # seconds; wider than the devset's 0.3-2.0: real users pause longer too
PAUSE_BALANCE = (0.45, 0.55)   # share of each pause label ("half continue / half end")
MODALITY_MIN = 0.2             # each pause modality at least this share (spoken is the larger part)
PAUSE2_FIRST_RANGE = (0.5, 2.0)  # pause2: the mid-turn pause after the first stretch (the user went on)
PAUSE2_RANGE = (0.5, 2.5)        # pause2: the pause after the second stretch
PAUSE2_BALANCE = (0.40, 0.60)

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def is_text(v):
    return isinstance(v, str) and v.strip() != "" and v == v.strip()


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_case(fam, c, w):
    lab = c.get("label")
    if fam == "intent":
        if not is_text(c.get("text")):
            err(w, "text must be non-empty text")
        s = c.get("slots")
        if not isinstance(s, dict):
            err(w, "slots must be an object")
            return lab
        keys = set(s)
        if lab == "timer":
            if "seconds" not in keys or not keys <= {"seconds", "text", "every"}:
                err(w, "timer slots: seconds, optional text, optional every")
            if not is_num(s.get("seconds")) or s.get("seconds", 0) <= 0:
                err(w, "timer seconds must be a positive number")
            if "text" in s and not is_text(s["text"]):
                err(w, "timer text must be non-empty text")
            if "every" in s and s["every"] is not True:
                err(w, "timer every must be true when present")
        elif lab == "cue":
            if keys != {"watch"} or not is_text(s.get("watch")):
                err(w, "cue slots must be {watch: text}")
        elif lab == "live_start":
            if s.get("mode") not in ("repeat", "translate") or not keys <= {"mode", "language"}:
                err(w, "live_start slots: mode repeat|translate, optional language")
            if s.get("mode") == "translate" and not is_text(s.get("language")):
                err(w, "live_start translate needs a language")
            if "language" in s and (not is_text(s["language"]) or not s["language"][:1].isupper()):
                err(w, "live_start language must be a capitalised name")
        elif lab == "delegate":
            if keys != {"task"} or not is_text(s.get("task")):
                err(w, "delegate slots must be {task: text}")
        elif s:
            err(w, f"label {lab} takes no slots")
    elif fam == "overlap":
        if not is_text(c.get("agent_saying")) or not is_text(c.get("user")):
            err(w, "agent_saying and user must be non-empty text")
    elif fam == "approval":
        if not is_text(c.get("question")) or "?" not in c.get("question", ""):
            err(w, "question must be non-empty text with a question mark")
        if not is_text(c.get("answer")):
            err(w, "answer must be non-empty text")
    elif fam in ("pause", "pause2"):
        lo, hi = PAUSE_RANGE if fam == "pause" else PAUSE2_RANGE
        if fam == "pause2":
            if not is_text(c.get("first")):
                err(w, "first must be non-empty text")
            fp = c.get("first_pause")
            if not is_num(fp) or not PAUSE2_FIRST_RANGE[0] <= fp <= PAUSE2_FIRST_RANGE[1]:
                err(w, f"first_pause must be a number in {PAUSE2_FIRST_RANGE[0]}-{PAUSE2_FIRST_RANGE[1]}")
        if c.get("modality") not in ("spoken", "typed"):
            err(w, "modality must be spoken or typed")
        ctx = c.get("context")
        if not isinstance(ctx, list) or len(ctx) > 3:
            err(w, "context must be a list of 0-3 turns")
        else:
            for t in ctx:
                if (not isinstance(t, dict) or set(t) != {"speaker", "text"}
                        or t["speaker"] not in ("user", "agent") or not is_text(t["text"])):
                    err(w, "context turn must be {speaker: user|agent, text}")
        if not is_text(c.get("before")):
            err(w, "before must be non-empty text")
        p = c.get("pause")
        if not is_num(p) or not lo <= p <= hi:
            err(w, f"pause must be a number in {lo}-{hi}")
        a = c.get("after")
        if not isinstance(a, str) or a != a.strip():
            err(w, "after must be a string without outer spaces")
        if lab == "end" and a != "":
            err(w, "label end needs after == ''")
        if lab == "continue" and a == "":
            err(w, "label continue needs non-empty after")
    elif fam == "narrative":
        if c.get("modality") != "spoken":
            err(w, "modality must be spoken")
        s, p = c.get("sentences"), c.get("pauses")
        if not isinstance(s, list) or not 3 <= len(s) <= 7 or not all(is_text(x) for x in s):
            err(w, "sentences must be a list of 3-7 non-empty strings")
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
    return lab


def tokens(s):
    return tuple(re.findall(r"[a-z0-9']+", s.lower()))


def parts(fam, c):
    """(fixed context, main text): the text a person said/typed, and what it answered."""
    if fam == "intent":
        return "", c.get("text", "")
    if fam == "overlap":
        return c.get("agent_saying", ""), c.get("user", "")
    if fam == "approval":
        return c.get("question", ""), c.get("answer", "")
    if fam == "narrative":
        return "", " ".join(c.get("sentences", []))
    fixed = " / ".join(t.get("text", "") for t in c.get("context", []) if isinstance(t, dict))
    first = c.get("first", "") + " " if fam == "pause2" else ""
    return fixed + " | " + str(c.get("modality")), first + c.get("before", "") + " " + c.get("after", "")


def comparison_keys(fam, c):
    """Keys under which two cases must not be equal or one word apart, with the minimum length
    (tokens) at which a one-word swap counts.  Full key: context + text (like the devset check).
    Text key: the text alone, for texts long enough to be a real sentence (intent: all texts)."""
    fixed, text = parts(fam, c)
    t = tokens(text)
    if fam == "intent":
        return [(("text", ""), t, 2)]      # the text is the whole case
    if fam == "narrative":                 # the whole story, and each sentence of 4+ tokens on its own
        keys = [(("full", ""), t, 2)]
        for s in c.get("sentences", []):
            st = tokens(s)
            if len(st) >= 4:
                keys.append((("sentence", ""), st, 6))
        return keys
    keys = [(("full", fixed), t, 2)]
    if len(t) >= 3:
        keys.append((("text", ""), t, 4))   # exact match from 3 tokens, one-word swap from 4
    return keys


def probe_keys(fam, c):
    """Keys to look up in the file a family is compared with (COMPARE_WITH; by default its own).
    pause2 against pause: the whole turn, and each of its two pause points read as one pause case
    (first + before, before + after), so no pause case is reused as either half."""
    if fam != "pause2":
        return comparison_keys(fam, c)
    fixed, _ = parts(fam, c)
    first, before, after = c.get("first", ""), c.get("before", ""), c.get("after", "")
    keys = []
    for t in {tokens(first + " " + before + " " + after), tokens(first + " " + before), tokens(before + " " + after)}:
        keys.append((("full", fixed), t, 2))
        if len(t) >= 3:
            keys.append((("text", ""), t, 4))
    return keys


class Index:
    """Finds equal and one-swapped-word token sequences via masked keys."""

    def __init__(self):
        self.exact = {}
        self.masked = defaultdict(list)

    def add(self, scope, toks, min_swap, ref):
        self.exact.setdefault((scope, toks), ref)
        if len(toks) >= min_swap:
            for i in range(len(toks)):
                self.masked[(scope, len(toks), i, toks[:i] + toks[i + 1:])].append((toks, ref))

    def find(self, scope, toks, min_swap):
        hits = []
        if (scope, toks) in self.exact:
            hits.append(("equals", self.exact[(scope, toks)]))
        if len(toks) >= min_swap:
            for i in range(len(toks)):
                for other, ref in self.masked.get((scope, len(toks), i, toks[:i] + toks[i + 1:]), []):
                    if other != toks:
                        hits.append(("one word from", ref))
        return hits


def index_of(fam, cases):
    """Index of the comparison keys of (where, case) pairs read from another file, by case id."""
    idx = Index()
    for w, c in cases:
        if isinstance(c, dict):
            try:
                for scope, toks, min_swap in comparison_keys(fam, c):
                    idx.add(scope, toks, min_swap, c.get("id", w))
            except (AttributeError, TypeError):
                continue
    return idx


def load(path, fam, validate):
    cases = []
    if not os.path.exists(path):
        if validate:
            err(path, "missing")
        return cases
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            w = f"{os.path.basename(path)}:{n}"
            try:
                c = json.loads(line)
            except json.JSONDecodeError as e:
                if validate:
                    err(w, f"bad JSON: {e}")
                continue
            if not isinstance(c, dict):
                if validate:
                    err(w, "not an object")
                continue
            cases.append((w, c))
    return cases


def main():
    stats = {}
    for fam, spec in SPEC.items():
        train = load(os.path.join(TRAIN, fam + ".jsonl"), fam, True)
        labs = Counter()
        mods = Counter()
        idx = Index()
        ids = set()
        good = []
        for n, (w, c) in enumerate(train, 1):
            if set(c) != spec["keys"]:
                err(w, f"keys {sorted(c)} != {sorted(spec['keys'])}")
                continue
            w = f"{w} ({c['id']})"
            if c["id"] != f"{fam}-t{n:04d}":
                err(w, f"id should be {fam}-t{n:04d}")
            if c["id"] in ids:
                err(w, "duplicate id")
            ids.add(c["id"])
            if c["family"] != fam:
                err(w, f"family must be {fam}")
            lab = check_case(fam, c, w)
            if lab not in spec["labels"]:
                err(w, f"label {lab!r} not in {sorted(spec['labels'])}")
                continue
            labs[lab] += 1
            if fam in ("pause", "pause2"):
                mods[(c["modality"], lab)] += 1
            for scope, toks, min_swap in comparison_keys(fam, c):
                for kind, ref in idx.find(scope, toks, min_swap):
                    err(w, f"{kind} {ref} ({scope[0]} text)")
            for scope, toks, min_swap in comparison_keys(fam, c):
                idx.add(scope, toks, min_swap, w)
            good.append((w, c))
        # counts
        total = sum(labs.values())
        if total < spec["total"]:
            err(fam, f"{total} valid cases, need >= {spec['total']}")
        for lab, need in spec["labels"].items():
            if labs[lab] < need:
                err(fam, f"label {lab}: {labs[lab]} cases, need >= {need}")
        if fam == "pause" and total:
            for lab in spec["labels"]:
                if not PAUSE_BALANCE[0] <= labs[lab] / total <= PAUSE_BALANCE[1]:
                    err(fam, f"label {lab} is {labs[lab] / total:.0%} of pause, want about half")
            for mod in ("spoken", "typed"):
                m = mods[(mod, "continue")] + mods[(mod, "end")]
                if m / total < MODALITY_MIN:
                    err(fam, f"modality {mod} is only {m / total:.0%} of pause")
                if not (mods[(mod, "continue")] and mods[(mod, "end")]):
                    err(fam, f"modality {mod} lacks a label")
        if fam == "pause2" and total and not PAUSE2_BALANCE[0] <= labs["end"] / total <= PAUSE2_BALANCE[1]:
            err(fam, f"label end is {labs['end'] / total:.0%} of pause2, want 40-60%")
        # against the devset: never equal, never one swapped word
        other = COMPARE_WITH.get(fam, fam)
        dev = load(os.path.join(DEV, other + ".jsonl"), other, False)
        dev_idx = index_of(other, dev)
        clashes = 0
        for w, c in good:
            for scope, toks, min_swap in probe_keys(fam, c):
                for kind, ref in dev_idx.find(scope, toks, min_swap):
                    clashes += 1
                    err(w, f"DEVSET CLASH: {kind} dev case {ref} ({scope[0]} text) - rewrite this case")
        # a family compared with another training family must not reuse its cases either
        if other != fam:
            train_idx = index_of(other, load(os.path.join(TRAIN, other + ".jsonl"), other, False))
            for w, c in good:
                for scope, toks, min_swap in probe_keys(fam, c):
                    for kind, ref in train_idx.find(scope, toks, min_swap):
                        err(w, f"{kind} training {other} case {ref} ({scope[0]} text)")
        stats[fam] = (labs, mods, total, len(dev), clashes)
    # report
    print(f"{'family':<9} {'label':<13} {'n':>5}")
    grand = 0
    for fam, (labs, mods, total, ndev, clashes) in stats.items():
        for lab in SPEC[fam]["labels"]:
            extra = ""
            if fam in ("pause", "pause2"):
                extra = f"  (spoken {mods[('spoken', lab)]}, typed {mods[('typed', lab)]})"
            print(f"{fam:<9} {lab:<13} {labs[lab]:>5}{extra}")
        vs = f" {COMPARE_WITH[fam]}" if fam in COMPARE_WITH else ""
        print(f"{fam:<9} {'(all)':<13} {total:>5}   compared with {ndev} dev{vs} cases: {clashes} clash(es)")
        grand += total
    print(f"total training cases: {grand}")
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
