"""Secrets found in values: credentials are replaced by a labelled marker before anything is logged.

A secret can reach the session in what the user types or says ("my key is sk-…"), in a tool's
arguments or output (``read_file`` of a ``.env``), in a background job's answer or in an error text.
:func:`scrub` finds the well-known shapes — provider API keys, private key blocks, JWTs, bearer
tokens, passwords in URLs, secret-named ``KEY=value`` settings — plus long random-looking strings,
and replaces the secret itself with ``[redacted: KIND]`` (the name around it stays, so a reader, and
the model, can still tell what was there). One combined pattern per pass keeps it linear in the text.

Look-alikes are left alone on purpose: hex digests (commit ids, SHA-256 sums, UUIDs), ordinary words,
long identifiers without digits, numbers, and URLs without a password.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from typing import Any, TypeVar

import msgspec

from microturn._core._events import Event

__all__ = ["is_secret_name", "scrub", "scrub_event", "scrub_value"]

E = TypeVar("E", bound=Event)

_SECRET_WORDS = frozenset(
    "password passwd pwd pass passphrase secret token credential credentials auth authorization cookie "
    "apikey sessionid".split()
)
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("signing", "key"), ("session", "id")}
)
_NAME_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def is_secret_name(name: str) -> bool:
    """Whether a name (of an argument, a setting, a JSON field) says its value is a secret.

    By its parts (``DB_PASSWORD``, ``apiKey``, ``x-auth-token``), so ``max_tokens`` or ``author`` are not.
    """
    parts = [part.lower() for part in _NAME_PART.findall(name)]
    return any(part in _SECRET_WORDS for part in parts) or any(
        pair in _SECRET_PAIRS for pair in itertools.pairwise(parts)
    )


_NAME = r"(?<![A-Za-z0-9_.\-])[A-Za-z_][A-Za-z0-9_.\-]*+"
"""A setting's name; it starts only where a run of name characters starts, so scanning stays linear."""
_KINDS: dict[str, str] = {
    "private_key": r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.*?-----END[A-Z ]*PRIVATE KEY-----|.*\Z)",
    "openai_key": r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_\-]{20,}",
    "aws_key": r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    "github_token": r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
    "slack_token": r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
    "jwt": r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    # These keep their ``keep_*`` group (the scheme, the name, the user) and hide only the secret after it.
    "bearer_token": r"(?P<keep_bearer>\b(?:[Bb]earer|[Bb]asic|[Tt]oken)\s+)[A-Za-z0-9._~+/=\-]{12,}",
    "url_password": r"(?P<keep_url>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*+://[^\s/:@]+:)[^\s/@]+(?=@)",
    "setting": rf"(?P<keep_setting>(?P<name>{_NAME})\s*=\s*)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;]+)",
    "json_setting": rf"(?P<keep_json>\"(?P<jname>{_NAME})\"\s*:\s*)\"[^\"\n]*\"",
    # ``password: Tr0ub4dor&3`` (YAML, HTTP headers): a bare word after a colon is prose ("password: the
    # usual one"), so an unquoted value must hold something other than letters.
    "colon_setting": rf"(?P<keep_colon>(?P<cname>{_NAME})[ \t]*:[ \t]*)"
    r"(?:\"[^\"\n]*\"|'[^'\n]*'|(?=[^\s\"',;]*[^\sA-Za-z\"',;])[^\s\"',;]+)",
    "random": r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{24,}={0,2}(?![A-Za-z0-9+/_\-])",
}
# Every kind starts where a run of word characters starts: checking that first makes the other
# positions cheap (about 0.1 ms per KB of prose instead of 0.3).
_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_.+/\-])(?:" + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS.items()) + ")", re.S
)
_SETTINGS = {
    "setting": ("name", "keep_setting"),
    "json_setting": ("jname", "keep_json"),
    "colon_setting": ("cname", "keep_colon"),
}
"""Each setting kind's groups: the name, and what is kept (the name and its ``=`` or ``:``)."""
_PREFIXES = ("keep_bearer", "keep_url", "keep_setting", "keep_json", "keep_colon")
_LABELS = {**dict.fromkeys(_SETTINGS, "secret"), "url_password": "password", "random": "random string"}
_HEX = re.compile(r"[0-9a-fA-F\-]+")


def scrub(text: str) -> str:
    """``text`` with every secret found in it replaced by ``[redacted: KIND]``."""
    if len(text) < 8:
        return text  # nothing shorter is a credential any pattern here would recognise (a spoken word, say)
    return _PATTERN.sub(_replace, text)


def scrub_value(value: Any) -> Any:
    """Strings scrubbed, inside dicts, lists and tuples too; anything else as it is."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(item) for item in value)
    return value


_IDENTIFIERS = frozenset({"source", "session", "call", "job", "timer", "cue", "tool", "name", "component"})
"""Event fields that name things the runtime made up; every other text field may carry what someone wrote."""


def scrub_event(event: E) -> E:
    """The event with secrets scrubbed from its text fields (the same object when there is none)."""
    changed: dict[str, Any] = {}
    for field in event.__struct_fields__:
        if field in _IDENTIFIERS:
            continue
        value = getattr(event, field)
        if isinstance(value, str | dict | list | tuple) and (clean := scrub_value(value)) != value:
            changed[field] = clean
    return msgspec.structs.replace(event, **changed) if changed else event


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    if kind in _SETTINGS:
        if not is_secret_name(match[_SETTINGS[kind][0]]) or _is_placeholder(match, kind):
            return match[0]
    elif kind == "random" and not _looks_random(match[0]):
        return match[0]
    elif kind == "bearer_token" and not any(char.isdigit() or char in "+/=" for char in match[0]):
        return match[0]  # "Basic configuration", not a token
    keep = next((match[group] for group in _PREFIXES if match[group]), "")
    label = _LABELS.get(kind, kind.replace("_", " "))
    quoted = '"' if kind == "json_setting" else ""
    return f"{keep}{quoted}[redacted: {label}]{quoted}"


def _is_placeholder(match: re.Match[str], kind: str) -> bool:
    """An empty value, or one already redacted, is nothing to hide."""
    value = match[0][len(match[_SETTINGS[kind][1]]) :].strip("\"'")
    return not value or value.startswith("[redacted")


def _looks_random(token: str) -> bool:
    """A long string of letters and digits mixed as only random bytes mix them (not a digest, not words)."""
    token = token.rstrip("=")
    if _HEX.fullmatch(token):
        return False  # commit ids, checksums and UUIDs are talked about, not secret
    digits = sum(char.isdigit() for char in token)
    upper = sum(char.isupper() for char in token)
    lower = sum(char.islower() for char in token)
    if digits < 2 or upper < 2 or lower < 2:
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    return entropy >= 0.8 * math.log2(min(len(token), 64))
