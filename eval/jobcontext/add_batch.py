"""Append one hand-written batch (sources/batchNN.txt) to cases.jsonl.

Only converts notation to JSON and numbers the ids; it invents nothing.
Notation:
  = job text | train|dev        starts a job block
  L m text                     one case: L = N none, R revise_job, C cancel_job,
                               T change_topic, P progress, D delegate; m = s spoken, t typed
  # ...                        comment
"""
import json, sys, os
LAB = {"N": "none", "R": "revise_job", "C": "cancel_job", "T": "change_topic",
       "P": "progress", "D": "delegate"}
MOD = {"s": "spoken", "t": "typed"}
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "cases.jsonl")
existing = []
if os.path.exists(out):
    existing = [json.loads(l) for l in open(out, encoding="utf-8") if l.strip()]
seen = {(c["job"], c["text"]) for c in existing}
n = len(existing)
new = []
job = split = None
for ln, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    if line.startswith("= "):
        job, split = [p.strip() for p in line[2:].rsplit("|", 1)]
        assert split in ("train", "dev"), ln
        continue
    lab, mod, text = line.split(" ", 2)
    assert job and lab in LAB and mod in MOD, (ln, line)
    if (job, text.strip()) in seen:
        sys.exit(f"line {ln}: already in cases.jsonl: {text!r}")
    seen.add((job, text.strip()))
    n += 1
    new.append({"id": f"jobcontext-{n:04d}", "job": job, "text": text.strip(),
                "modality": MOD[mod], "label": LAB[lab], "split": split})
with open(out, "a", encoding="utf-8") as f:
    for c in new:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(f"appended {len(new)} cases, total {n}")
