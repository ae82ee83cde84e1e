"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded via SCHEMATHESIS_HOOKS).

Schemathesis draws text the schema allows, and a JSON body must be UTF-8, so by itself it never
sends a lone surrogate. Every body it generates is passed through hostile_text.hostile_strings:
any string (member names too) may come out as long non-ASCII text, lone surrogates (sent as
JSON "\ud800" escapes, which the API decodes as Python's json does), NULs or huge digit runs.

The schema allows repeat up to 1,000,000, which on the python engine is seconds to minutes of
honest work per call. Fuzzing is after server errors, not throughput, so valid batches are
capped at ~10,000 searches; invalid values pass through untouched.
"""

from __future__ import annotations

import schemathesis
from hostile_text import hostile_strings

from peaje.limits import MAX_REPEAT

MAX_SEARCHES = 10_000


@schemathesis.hook
def map_case(context, case):
    body = case.body
    repeat = body.get("repeat") if isinstance(body, dict) else None
    if type(repeat) is int and 1 < repeat <= MAX_REPEAT:  # leave invalid values to the test
        targets = body.get("targets")
        count = len(targets) if isinstance(targets, list) else 1
        body["repeat"] = min(repeat, max(1, MAX_SEARCHES // max(count, 1)))
    return case


@schemathesis.hook
def flatmap_body(context, body):
    return hostile_strings(body)
