"""Mutation testing of the Messenger reference implementation against its generated suite.

Measures how strong the conformance suite generated from ``examples/Msgrpriv.idl`` and
``examples/Msgrpriv.scenarios.toml`` is: mutmut changes the behaviour code of
``examples/msgr_reference/`` (``objects.py`` and ``world.py``) one small change at a time, and
the generated suite runs against every mutant.  A mutant the suite fails on is killed; one it
passes survived.  Each survivor must be explained in ``benchmarks/mutation_survivors.toml``
(an equivalent mutant, or what no rule fixes); an unexplained one is a gap to close with a
scenario.

    pip install -e '.[mutation]'
    python benchmarks/mutation.py [--max-children 1] [--report mutation.md] [--workdir DIR]

The run happens in a scratch directory (mutmut wants the package at the top of its working
directory): the package copy, the stubs and the suite generated into it, and mutmut's
configuration.  The copy differs from the package in one way: the body of each property is
lifted into a plain method the property calls, because mutmut does not mutate decorated
functions.  Module and class constants (the 512/300/5 limits, ``LIMITS``, ``FINAL_STATES``)
are not mutated by mutmut at all; the broken variants of ``broken.py`` pin them instead.

mutmut runs under ``nice -n 19`` with ``--max-children`` workers (default 1) and its own
per-mutant CPU-time limit (the test time of the mutant's tests times ``timeout_multiplier``).
Prints the figures; exits 1 when the score is under the target or a survivor is unexplained.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "examples" / "msgr_reference"
IDL = ROOT / "examples" / "Msgrpriv.idl"
SURVIVORS = Path(__file__).resolve().parent / "mutation_survivors.toml"
#: The behaviour code: what is mutated.
BEHAVIOUR = ("objects.py", "world.py")
COPIED = ("__init__.py", "_bindings.py", *BEHAVIOUR)
TARGET = 90.0
#: mutmut's statuses that count as a kill.
KILLED = ("killed", "timeout")

MUTMUT_CONFIG = """\
[tool.mutmut]
source_paths = ["msgr_reference"]
only_mutate = ["msgr_reference/objects.py", "msgr_reference/world.py"]
pytest_add_cli_args = ["--impl=msgr_reference", "-p", "no:cacheprovider"]
pytest_add_cli_args_test_selection = ["tests/msgrpriv_conformance"]
also_copy = ["msgrpriv"]
timeout_multiplier = {multiplier}
"""


# --------------------------------------------------------------------------- the scratch copy


def lift_properties(source: str) -> str:
    """*source* with every property body moved into a plain method the property calls.

    ``@property def State(self)`` keeps its decorator and becomes ``return
    self._State_get()``; ``_State_get`` holds the original body (``_X_set`` for setters).
    Behaviour is unchanged; mutmut, which skips decorated functions, then reaches the bodies.
    """
    import libcst as cst

    def kind(function: cst.FunctionDef) -> str | None:
        if len(function.decorators) != 1:
            return None
        decorator = function.decorators[0].decorator
        if isinstance(decorator, cst.Name) and decorator.value == "property":
            return "get"
        if isinstance(decorator, cst.Attribute) and decorator.attr.value == "setter":
            return "set"
        return None

    class Lifter(cst.CSTTransformer):
        def leave_ClassDef(
            self, original_node: cst.ClassDef, updated_node: cst.ClassDef
        ) -> cst.ClassDef:
            body: list[Any] = []
            for statement in updated_node.body.body:
                which = kind(statement) if isinstance(statement, cst.FunctionDef) else None
                if which is None or not isinstance(statement, cst.FunctionDef):
                    body.append(statement)
                    continue
                helper = f"_{statement.name.value}_{which}"
                params = [p.name.value for p in statement.params.params[1:]]
                call = f"self.{helper}({', '.join(params)})"
                wrapper = cst.IndentedBlock([cst.parse_statement(f"return {call}")])
                body.append(statement.with_changes(body=wrapper))
                body.append(
                    statement.with_changes(name=cst.Name(helper), decorators=[], leading_lines=[])
                )
            return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    return cst.parse_module(source).visit(Lifter()).code


def prepare(workdir: Path, multiplier: float) -> None:
    """The package copy (properties lifted), the generated stubs and suite, mutmut's config."""
    from idlgen import api

    target = workdir / "msgr_reference"
    target.mkdir(parents=True)
    for name in COPIED:
        text = (PACKAGE / name).read_text(encoding="utf-8")
        if name in BEHAVIOUR:
            text = lift_properties(text)
        (target / name).write_text(text, encoding="utf-8")
    files = api.render([str(IDL)], package="msgrpriv", emit=["stubs", "events", "tests"])
    for relative, text in files.items():
        place = workdir / ("tests" if relative.startswith("msgrpriv_conformance/") else "")
        path = place / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = MUTMUT_CONFIG.format(multiplier=multiplier)
    (workdir / "pyproject.toml").write_text(config, encoding="utf-8")


# --------------------------------------------------------------------------- the run


@dataclass
class Survivor:
    """A surviving mutant: its name, the lines it changed, and why it survives."""

    name: str
    removed: list[str]
    added: list[str]
    reason: str = ""
    note: str = ""


def mutmut(workdir: Path, *args: str, timeout: float = 600) -> str:
    """Run ``mutmut ARGS`` (niced) in *workdir*; its output."""
    command = ["nice", "-n", "19", sys.executable, "-m", "mutmut", *args]
    proc = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mutmut {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def statuses(workdir: Path) -> dict[str, str]:
    """Mutant name -> mutmut's status."""
    found: dict[str, str] = {}
    for line in mutmut(workdir, "results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            found[name] = status
    return found


#: ``mutmut show NAME`` for each name of argv, in one process (a separator line before each).
SHOW_ALL = """
import sys
from mutmut.__main__ import cli
for name in sys.argv[1:]:
    print("@@@@ " + name, flush=True)
    cli.main(["show", name], standalone_mode=False)
    sys.stdout.flush()
"""


def survivors_of(workdir: Path, names: list[str]) -> list[Survivor]:
    """The lines each mutant of *names* removed and added (from ``mutmut show``)."""
    if not names:
        return []
    command = ["nice", "-n", "19", sys.executable, "-c", SHOW_ALL, *names]
    proc = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mutmut show failed:\n{proc.stdout}\n{proc.stderr}")
    diffs: dict[str, list[str]] = {}
    current: list[str] = []
    for line in proc.stdout.splitlines():
        if line.startswith("@@@@ "):
            current = diffs.setdefault(line[5:], [])
        else:
            current.append(line)
    result = []
    for name in names:
        diff = diffs.get(name, [])
        removed = [ln[1:].strip() for ln in diff if ln.startswith("-") and ln[:3] != "---"]
        added = [ln[1:].strip() for ln in diff if ln.startswith("+") and ln[:3] != "+++"]
        result.append(Survivor(name, removed, added))
    return result


def explain(survivors: list[Survivor], explanations: dict[str, object]) -> None:
    """Attach the reason of ``mutation_survivors.toml`` to each survivor whose recorded
    change still matches (a mutant renumbered by an edit is unexplained again)."""
    entries = explanations.get("survivor", {})
    assert isinstance(entries, dict)
    for item in survivors:
        entry = entries.get(short_name(item.name))
        if isinstance(entry, dict) and entry.get("added") == " ".join(item.added):
            item.reason = str(entry.get("reason", ""))
            item.note = str(entry.get("note", ""))


def short_name(name: str) -> str:
    """``msgr_reference.objects.xǁSessionǁCancel__mutmut_5`` -> ``objects.Session.Cancel#5``."""
    match = re.fullmatch(r"msgr_reference\.(\w+)\.x(?:ǁ(\w+)ǁ|_)(\w+?)__mutmut_(\d+)", name)
    if match is None:
        return name
    module, cls, function, number = match.groups()
    return f"{module}.{cls + '.' if cls else ''}{function}#{number}"


# --------------------------------------------------------------------------- the figures


def render(
    counts: Counter[str], survivors: list[Survivor], reasons: dict[str, str], seconds: float
) -> str:
    """The Markdown report: figures, then every survivor with its change and reason."""
    total = sum(counts.values())
    killed = sum(counts[s] for s in KILLED)
    equivalent = sum(1 for s in survivors if s.reason and s.reason != "gap")
    score = 100.0 * killed / total if total else 0.0
    rest = total - equivalent
    score_rest = 100.0 * killed / rest if rest else 0.0
    lines = [
        "# Mutation testing of examples/msgr_reference (objects.py, world.py)",
        "",
        f"- mutants: {total} ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})",
        f"- mutation score: **{score:.1f} %** killed ({killed} of {total}; target {TARGET:.0f} %)",
        f"- survivors explained as equivalent or unconstrained: {equivalent}; score without "
        f"them: {score_rest:.1f} % ({killed} of {rest})",
        f"- unexplained survivors: {sum(1 for s in survivors if not s.reason)}",
        f"- run time: {seconds:.0f} s" if seconds else "- run time: (a finished run, reused)",
        "",
        "## Surviving mutants",
        "",
        "| mutant | change | why it survives |",
        "|---|---|---|",
    ]
    for item in survivors:
        change = " / ".join(f"`{a}`" for a in item.added) or "(line removed)"
        why = reasons.get(item.reason, item.reason) if item.reason else "**UNEXPLAINED**"
        if item.note:
            why += f" ({item.note})"
        change = change.replace("|", "\\|")
        lines.append(f"| `{short_name(item.name)}` | {change} | {why} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="scratch directory (default: a new temporary one)")
    parser.add_argument("--max-children", type=int, default=1, help="mutmut workers (default 1)")
    parser.add_argument(
        "--timeout-multiplier",
        type=float,
        default=15.0,
        help="per-mutant CPU-time limit, as a multiple of the mutant's tests' time (default 15)",
    )
    parser.add_argument("--report", help="also write the Markdown report here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="report on the finished run in --workdir again (after editing the survivors file)",
    )
    args = parser.parse_args(argv)
    if importlib.util.find_spec("mutmut") is None or importlib.util.find_spec("libcst") is None:
        print("error: mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="idlgen-mutation-")).resolve()
    marker = workdir / ".idlgen-mutation"
    if workdir.exists() and any(workdir.iterdir()) and not marker.exists():
        print(f"error: {workdir} is not empty and not a scratch directory of this script")
        return 2
    started = time.monotonic()
    if args.reuse:
        if not (workdir / "mutants").is_dir():
            print(f"error: --reuse: no finished run in {workdir}", file=sys.stderr)
            return 2
    else:
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        marker.write_text("scratch directory of benchmarks/mutation.py\n", encoding="utf-8")
        prepare(workdir, args.timeout_multiplier)
        print(f"mutmut in {workdir} ...", flush=True)
        mutmut(workdir, "run", "--max-children", str(args.max_children), timeout=3600)
    seconds = 0.0 if args.reuse else time.monotonic() - started
    found = statuses(workdir)
    counts = Counter(found.values())
    survivors = survivors_of(workdir, [n for n, s in sorted(found.items()) if s not in KILLED])
    explanations = tomllib.loads(SURVIVORS.read_text(encoding="utf-8"))
    explain(survivors, explanations)
    reasons = {str(k): str(v) for k, v in dict(explanations.get("reasons", {})).items()}
    text = render(counts, survivors, reasons, seconds)
    print(text)
    if args.report:
        Path(args.report).write_text(text, encoding="utf-8")
    total = sum(counts.values())
    score = 100.0 * sum(counts[s] for s in KILLED) / total if total else 0.0
    return 0 if score >= TARGET and all(s.reason for s in survivors) else 1


if __name__ == "__main__":
    raise SystemExit(main())
