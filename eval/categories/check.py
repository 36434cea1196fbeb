#!/usr/bin/env python3
"""Validate eval/categories/cases.jsonl (stdlib only).

Usage: python3 eval/categories/check.py [path/to/cases.jsonl]
Exits 1 if any check fails, 0 otherwise. Prints summary counts.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict

KEYS = ["id", "category", "text", "members", "split"]
SPLITS = ("train", "dev")
MIN_CASES = 600
MIN_CATEGORIES = 50
MIN_WORDS, MAX_WORDS = 4, 25


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "cases.jsonl")
    errors = []

    def err(lineno, msg):
        errors.append("line %d: %s" % (lineno, msg))

    cases = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                err(lineno, "blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                err(lineno, "invalid JSON: %s" % e)
                continue
            if not isinstance(obj, dict):
                err(lineno, "not a JSON object")
                continue
            if sorted(obj) != sorted(KEYS):
                err(lineno, "keys %s, expected exactly %s" % (sorted(obj), KEYS))
                continue
            cases.append((lineno, obj))

    # ids, types, tokens
    cat_splits = defaultdict(set)
    seen_texts = {}
    for n, (lineno, c) in enumerate(cases, 1):
        want_id = "categories-%04d" % n
        if c["id"] != want_id:
            err(lineno, "id %r, expected %r (ids must be numbered in order)" % (c["id"], want_id))
        for k in ("id", "category", "text", "split"):
            if not isinstance(c[k], str) or not c[k]:
                err(lineno, "%s must be a non-empty string" % k)
        if not isinstance(c["members"], list) or not all(isinstance(m, str) for m in c["members"]):
            err(lineno, "members must be a list of strings")
            continue
        if not all(isinstance(c[k], str) for k in ("category", "text", "split")):
            continue
        if c["split"] not in SPLITS:
            err(lineno, "split %r not in %s" % (c["split"], SPLITS))
        if c["category"] != c["category"].lower() or c["category"] != c["category"].strip():
            err(lineno, "category must be lower case and trimmed: %r" % c["category"])
        text = c["text"]
        if text != text.lower():
            err(lineno, "text must be lower case")
        if text != text.strip() or "  " in text:
            err(lineno, "text has stray whitespace")
        if re.search(r"\d", text):
            err(lineno, "text contains digits (numbers should be spelled out)")
        tokens = text.split(" ")
        if not (MIN_WORDS <= len(tokens) <= MAX_WORDS):
            err(lineno, "text has %d words, expected %d-%d" % (len(tokens), MIN_WORDS, MAX_WORDS))
        for m in c["members"]:
            if m not in tokens:
                err(lineno, "member %r is not a token of the text" % m)
            if m != m.lower() or " " in m or not m:
                err(lineno, "member %r must be a single lower-case token" % m)
        if len(set(c["members"])) != len(c["members"]):
            err(lineno, "duplicate member words")
        if text in seen_texts:
            err(lineno, "duplicate text (also line %d)" % seen_texts[text])
        seen_texts[text] = lineno
        cat_splits[c["category"]].add(c["split"])

    for cat, splits in sorted(cat_splits.items()):
        if len(splits) > 1:
            errors.append("category %r appears in more than one split: %s" % (cat, sorted(splits)))

    # near duplicates: same length, differ in exactly one token
    by_len = defaultdict(list)
    for lineno, c in cases:
        if isinstance(c.get("text"), str):
            by_len[len(c["text"].split(" "))].append((lineno, c["text"].split(" ")))
    for group in by_len.values():
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                a, b = group[i][1], group[j][1]
                if sum(x != y for x, y in zip(a, b)) == 1:
                    errors.append("lines %d and %d differ by one swapped word" % (group[i][0], group[j][0]))

    n_cases = len(cases)
    n_cats = len(cat_splits)
    if n_cases < MIN_CASES:
        errors.append("only %d cases, need at least %d" % (n_cases, MIN_CASES))
    if n_cats < MIN_CATEGORIES:
        errors.append("only %d categories, need at least %d" % (n_cats, MIN_CATEGORIES))

    # summary
    split_cases = Counter(c["split"] for _, c in cases)
    split_cats = defaultdict(set)
    for _, c in cases:
        split_cats[c["split"]].add(c["category"])
    empty = sum(1 for _, c in cases if not c["members"])
    member_words = sum(len(c["members"]) for _, c in cases)
    print("cases: %d" % n_cases)
    print("categories: %d" % n_cats)
    for s in SPLITS:
        print("  %-5s: %3d categories, %3d cases" % (s, len(split_cats[s]), split_cases[s]))
    print("cases with no member: %d (%.1f%%)" % (empty, 100.0 * empty / max(n_cases, 1)))
    print("member words: %d" % member_words)

    if errors:
        print("\n%d error(s):" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
