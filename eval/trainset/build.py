#!/usr/bin/env python3
"""Build the training-set JSONL files from the hand-written compact sources in sources/.

Every line of sources/*.txt is one hand-written case; this script only changes the notation
(compact text -> JSON objects with the devset schema) and numbers the ids. It generates nothing.

  intent_*.txt    label | text | slots    (s=SECONDS; t=TEXT; every | w=WATCH | repeat | translate=LANG | task=TASK)
  overlap_*.txt   '@ agent_saying' starts a group; then  label | user
  approval_*.txt  '? question' starts a group; then  label | answer
  pause_*.txt     S|T PAUSE | context | before | after   (context: 'a: ..' / 'u: ..' turns joined by ' // ', '-' for none;
                  empty after = end)
  pause2_*.txt    S|T PAUSE1 PAUSE2 | context | first | before | after   (a turn's second stretch: the user said
                  `first`, paused PAUSE1 s mid-turn, said `before`, paused PAUSE2 s; empty after = end) -> pause2.jsonl
  narrative_*.txt Q|T PAUSES | sentence // sentence // ...   (Q = the last sentence asks something, T = only tells;
                  PAUSES = comma-separated seconds between sentences, or '*' = drawn 0.5-1.5 s, rounded to 0.1,
                  from a generator seeded with the case's own sentences, so adding a line changes no other case)
"""
import glob
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")


def lines(prefix):
    for path in sorted(glob.glob(os.path.join(SRC, prefix + "_*.txt"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                yield f"{os.path.basename(path)}:{n}", line


def fields(line, n, where):
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != n:
        raise SystemExit(f"{where}: expected {n} fields, got {len(parts)}: {line!r}")
    return parts


def intent_slots(label, raw, where):
    if label == "timer":
        slots = {}
        for item in [x.strip() for x in raw.split(";") if x.strip()]:
            if item == "every":
                slots["every"] = True
            elif item.startswith("s="):
                v = float(item[2:])
                slots["seconds"] = int(v) if v.is_integer() else v
            elif item.startswith("t="):
                slots["text"] = item[2:].strip()
            else:
                raise SystemExit(f"{where}: bad timer slot {item!r}")
        return {k: slots[k] for k in ("seconds", "text", "every") if k in slots}
    if label == "cue":
        assert raw.startswith("w="), where
        return {"watch": raw[2:].strip()}
    if label == "live_start":
        if raw == "repeat":
            return {"mode": "repeat"}
        assert raw.startswith("translate="), where
        return {"mode": "translate", "language": raw.split("=", 1)[1].strip()}
    if label == "delegate":
        assert raw.startswith("task="), where
        return {"task": raw[5:].strip()}
    if raw:
        raise SystemExit(f"{where}: label {label} takes no slots")
    return {}


def build_intent():
    out = []
    for where, line in lines("intent"):
        label, text, raw = fields(line, 3, where)
        out.append({"family": "intent", "text": text, "label": label,
                    "slots": intent_slots(label, raw, where)})
    return out


def build_grouped(prefix, fam, marker, fixed_key, text_key):
    out, fixed = [], None
    for where, line in lines(prefix):
        if line.startswith(marker + " "):
            fixed = line[2:].strip()
            continue
        label, text = fields(line, 2, where)
        if fixed is None:
            raise SystemExit(f"{where}: case before any {marker} line")
        out.append({"family": fam, fixed_key: fixed, text_key: text, "label": label})
    return out


def pause_context(ctx):
    context = []
    if ctx != "-":
        for turn in ctx.split(" // "):
            sp, text = turn.split(":", 1)
            context.append({"speaker": {"a": "agent", "u": "user"}[sp.strip()], "text": text.strip()})
    return context


def build_pause():
    out = []
    for where, line in lines("pause"):
        head, ctx, before, after = fields(line, 4, where)
        mod, pause = head.split()
        out.append({"family": "pause", "modality": {"S": "spoken", "T": "typed"}[mod], "context": pause_context(ctx),
                    "before": before, "pause": float(pause), "after": after,
                    "label": "continue" if after else "end"})
    return out


def build_pause2():
    out = []
    for where, line in lines("pause2"):
        head, ctx, first, before, after = fields(line, 5, where)
        mod, first_pause, pause = head.split()
        out.append({"family": "pause2", "modality": {"S": "spoken", "T": "typed"}[mod], "context": pause_context(ctx),
                    "first": first, "first_pause": float(first_pause), "before": before, "pause": float(pause),
                    "after": after, "label": "continue" if after else "end"})
    return out


def build_narrative():
    out = []
    for where, line in lines("narrative"):
        head, body = fields(line, 2, where)
        kind, raw = head.split()
        sentences = [x.strip() for x in body.split(" // ")]
        if kind not in ("Q", "T") or not 3 <= len(sentences) <= 7:
            raise SystemExit(f"{where}: want Q|T and 3-7 sentences: {line!r}")
        if raw == "*":
            rng = random.Random("narrative: " + " // ".join(sentences))
            pauses = [round(rng.uniform(0.5, 1.5), 1) for _ in sentences[1:]]
        else:
            pauses = [float(x) for x in raw.split(",")]
        if len(pauses) != len(sentences) - 1:
            raise SystemExit(f"{where}: {len(sentences)} sentences need {len(sentences) - 1} pauses")
        out.append({"family": "narrative", "modality": "spoken", "sentences": sentences,
                    "pauses": pauses, "asks_at_end": kind == "Q"})
    return out


ORDER = {
    "intent": ["id", "family", "text", "label", "slots"],
    "overlap": ["id", "family", "agent_saying", "user", "label"],
    "approval": ["id", "family", "question", "answer", "label"],
    "pause": ["id", "family", "modality", "context", "before", "pause", "after", "label"],
    "narrative": ["id", "family", "modality", "sentences", "pauses", "asks_at_end"],
    "pause2": ["id", "family", "modality", "context", "first", "first_pause", "before", "pause", "after", "label"],
}


def write(fam, cases):
    with open(os.path.join(HERE, fam + ".jsonl"), "w", encoding="utf-8") as f:
        for i, c in enumerate(cases, 1):
            c["id"] = f"{fam}-t{i:04d}"
            f.write(json.dumps({k: c[k] for k in ORDER[fam]}, ensure_ascii=False) + "\n")
    print(f"{fam}: {len(cases)}")


if __name__ == "__main__":
    write("intent", build_intent())
    write("overlap", build_grouped("overlap", "overlap", "@", "agent_saying", "user"))
    write("approval", build_grouped("approval", "approval", "?", "question", "answer"))
    write("pause", build_pause())
    write("narrative", build_narrative())
    write("pause2", build_pause2())
