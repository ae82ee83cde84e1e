"""Schemathesis against the live API's OpenAPI schema: bounded examples, zero server errors.

Every check runs but positive_data_acceptance: the schema cannot say "ascending" or "a dataset
spec within the caps", so some schema-valid bodies are refused (422/413) by design.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
LONE_SURROGATE = re.compile(r"\\ud[89a-f][0-9a-f]{2}", re.IGNORECASE)
NON_ASCII = re.compile(r"\\u(00[89a-f]|0[1-9a-f]|[1-9a-ce-f])[0-9a-f]", re.IGNORECASE)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_url, tmp_path):
    command = [
        str(SCHEMATHESIS), "run", f"{api_url}/openapi.json",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", "25", "--seed", "20261125", "--workers", "1",
        "--request-timeout", "20", "--max-failures", "5",
        "--report", "har", "--report-har-path", str(tmp_path / "requests.har"),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={
            "PATH": str(SCHEMATHESIS.parent), "HOME": str(tmp_path), "NO_COLOR": "1",
            "PYTHONPATH": str(Path(__file__).parent), "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        },
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    paths = httpx.get(f"{api_url}/openapi.json").json()["paths"]
    operations = sum(len(methods) for methods in paths.values())
    assert operations >= 9  # search, bytes-dict, engines, noop, metrics; GET+HEAD health, ready
    selected = rf"Selected: {operations}/{operations}\s+Tested: {operations}\b"
    assert re.search(selected, report), report
    # The hooks' hostile text was sent: lone surrogates as JSON escapes, and other non-ASCII.
    har = json.loads((tmp_path / "requests.har").read_text())
    bodies = [e["request"].get("postData", {}).get("text", "") for e in har["log"]["entries"]]
    surrogates = sum(bool(LONE_SURROGATE.search(body)) for body in bodies)
    non_ascii = sum(bool(NON_ASCII.search(body)) for body in bodies)
    print(f"{len(bodies)} requests, {surrogates} with lone surrogates, {non_ascii} non-ASCII")
    assert surrogates >= 10 and non_ascii >= 10, bodies[:20]
