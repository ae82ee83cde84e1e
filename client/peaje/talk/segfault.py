"""The talk's segfault, reproduced safely: its BytesDict at each stage, each loaded only in a
child process, beside the correct answer and peaje's own to_bytes_dict.

    peaje talk segfault          # make talk-segfault; exits 0 whatever the children did

Stages (bindings/talk/bytesdict_*.pyx, built -O0 -g as the talk built them):
- first: `cdef char * ptr` never initialised: the first str item tests a garbage pointer.
- fixed: the slides' fix, `cdef char * ptr = NULL`: runs, prints a wrong dict.
- final: the talk's final code (ptr reset before each item): right on the talk's input, wrong
  as soon as a bytes value holds a NUL.
"""

from __future__ import annotations

import argparse
import ast
import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from peaje.talk.published import BYTES_DICT_INPUT, SLIDE_WRONG_OUTPUT

STAGES = ("first", "fixed", "final")
# The talk's input, and the same with bytes that hold a NUL (bytes must pass through whole).
INPUTS = {
    "talk": BYTES_DICT_INPUT,
    "nul": {**BYTES_DICT_INPUT, "nul": b"before\x00after", b"key\x00tail": "ñandú"},
}
BUGS = (
    "uninitialised pointer (first): `cdef char * ptr` holds whatever was on the stack; "
    "`_string_to_bytes` tests `ptr[0] == NULL` before encoding, so a str item is not encoded "
    "and `PyBytes_FromString` reads that garbage address: SIGSEGV when it is unmapped, garbage "
    "bytes when it happens to point at readable memory.",
    "pointers into freed temporaries (fixed): once `ptr` is set it is never reset, so a later "
    "str item is not encoded and keeps the previous item's pointer; when that pointed into an "
    "encoded key that `k = ...` has since released, `PyBytes_FromString` reads freed memory "
    "(every key shifts to the previous value, as on the slide).",
    "char* round trips stop at the first NUL (first, fixed and final): each key and value "
    "crosses as a `char*` and comes back through `PyBytes_FromString`, which reads up to the "
    "first NUL byte, so b'before\\x00after' comes back as b'before'.",
)


def correct(mapping: dict) -> dict[bytes, bytes]:
    """The contract's answer: each key and value UTF-8 encoded (bytes unchanged), input order."""

    def enc(x: str | bytes) -> bytes:
        return x.encode("utf-8", "surrogatepass") if isinstance(x, str) else bytes(x)

    return {enc(k): enc(v) for k, v in mapping.items()}


@dataclass
class Child:
    stage: str
    input: str
    returncode: int
    result: dict[bytes, bytes] | None = None
    trace: str = ""  # faulthandler's, from stderr
    gdb: str = ""  # a gdb -batch backtrace of a second run, when the first ended by a signal

    @property
    def signal(self) -> str | None:
        return signal.Signals(-self.returncode).name if self.returncode < 0 else None


@dataclass
class Demo:
    children: list[Child] = field(default_factory=list)
    peaje: dict[str, dict[bytes, bytes]] = field(default_factory=dict)

    def child(self, stage: str, input_name: str) -> Child:
        return next(c for c in self.children if c.stage == stage and c.input == input_name)


def child_command(stage: str, input_name: str) -> list[str]:
    return [
        sys.executable, "-X", "faulthandler", "-m", "peaje.talk.segfault",
        "--child", stage, "--input", input_name,
    ]  # fmt: skip


def run_child(stage: str, input_name: str, timeout: float = 60.0) -> Child:
    return run_command(stage, input_name, child_command(stage, input_name), timeout)


def run_command(stage: str, input_name: str, command: list[str], timeout: float = 60.0) -> Child:
    """Run one child; a JSON line of hex pairs on its stdout is its dict."""
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    child = Child(stage, input_name, out.returncode, trace=out.stderr.strip())
    if out.returncode == 0:
        pairs = json.loads(out.stdout.strip().splitlines()[-1])
        child.result = {bytes.fromhex(k): bytes.fromhex(v) for k, v in pairs}
    return child


def gdb_backtrace(command: list[str], timeout: float = 120.0) -> str:
    """A second run under `gdb -batch`: the signal and the backtrace, as the slides show them."""
    command = [
        "gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
        "-ex", "set pagination off", "-ex", "run", "-ex", "bt 16", "--args", *command,
    ]  # fmt: skip
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return "gdb is not installed (scripts/bootstrap.sh installs it)"
    except subprocess.TimeoutExpired:
        return f"gdb did not finish in {timeout:.0f} s"
    lines = out.stdout.splitlines()
    start = next((i for i, x in enumerate(lines) if "received signal" in x), None)
    if start is None:
        return "under gdb this run did not crash (the stack's garbage differs run to run)"
    return "\n".join(line for line in lines[start:] if line.strip())


def run_demo(gdb: bool = True) -> Demo:
    import peaje

    demo = Demo()
    for stage in STAGES:
        for input_name in ("talk", "nul") if stage == "final" else ("talk",):
            child = run_child(stage, input_name)
            if child.signal and gdb:
                child.gdb = gdb_backtrace(child_command(stage, input_name))
            demo.children.append(child)
    native = peaje.engine("native")
    demo.peaje = {name: native.to_bytes_dict(mapping) for name, mapping in INPUTS.items()}
    native.close()
    return demo


def describe(child: Child) -> list[str]:
    """How one child ended and what it returned, against the correct answer."""
    expected = correct(INPUTS[child.input])
    title = f"BytesDict ({child.stage}) on the {child.input!r} input"
    if child.signal:
        lines = [f"{title}: the child was killed by {child.signal} (exit {child.returncode})."]
        lines += ["faulthandler:", *[f"    {x}" for x in child.trace.splitlines()[:12]]]
        lines += ["gdb -batch, a second run:", *[f"    {x}" for x in child.gdb.splitlines()]]
        return lines
    if child.result is None:
        return [f"{title}: exit {child.returncode}", *child.trace.splitlines()[-5:]]
    verdict = "the correct dict" if child.result == expected else "a WRONG dict"
    lines = [f"{title}: exit 0, returned {verdict}:"]
    lines += [f"    got      {child.result!r}", f"    correct  {expected!r}"]
    if child.stage == "first":
        lines.append(
            "    (no crash on this run: the uninitialised pointer happened to point at readable "
            "memory, so the dict holds what it found there)"
        )
    if child.stage == "fixed" and child.input == "talk":
        lines.append(f"    slide    {SLIDE_WRONG_OUTPUT!r}")
    return lines


def render(demo: Demo) -> str:
    lines = ["The talk's BytesDict, each stage in a child process (built -O0 -g, as the talk):", ""]
    for child in demo.children:
        lines += [*describe(child), ""]
    for name, got in demo.peaje.items():
        verdict = "equal to" if got == correct(INPUTS[name]) else "DIFFERENT from"
        lines.append(f"peaje to_bytes_dict on the {name!r} input, {verdict} the correct dict:")
        lines.append(f"    {got!r}")
    lines += ["", "What each bug is:", *[f"- {b}" for b in BUGS]]
    return "\n".join(lines)


def child_main(stage: str, input_name: str) -> int:
    """In the child: load the stage's module, build its BytesDict, print the pairs as hex."""
    import importlib

    module = importlib.import_module(f"peaje.talk._bytesdict_{stage}")
    result = ast.literal_eval(repr(module.BytesDict(INPUTS[input_name])))
    print(json.dumps([[k.hex(), v.hex()] for k, v in result.items()]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peaje talk segfault", description=__doc__.split("\n")[0])
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--input", choices=sorted(INPUTS), default="talk", help=argparse.SUPPRESS)
    parser.add_argument("--no-gdb", action="store_true", help="skip the gdb backtrace")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.input)
    print(render(run_demo(gdb=not args.no_gdb)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
