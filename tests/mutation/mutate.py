"""`make mutate`: mutation testing of the Lambda core with mutmut, and the score it gives.

mutmut names each mutant after its file path and records which tests call it by the imported module name.
The tests import ``personalize_pipeline`` (functions/shared is on pytest's pythonpath), so the run happens in
build/mutation/, where the package is staged as src/personalize_pipeline (mutmut drops the ``src.`` prefix)
next to the tests and example data, all as symlinks: mutmut copies them into build/mutation/mutants/.

The score counts timeouts as killed (the mutant changed behaviour enough to hang) and every other
outcome (survived, no tests, suspicious, not checked) as not killed. Survivors listed in
tests/mutation/equivalent.md, by function and mutated line, are equivalent mutants: no test can tell them
apart from the original, so they leave the second score's denominator.

Run with the interpreter of the mutation virtualenv (see the Makefile):
    python tests/mutation/mutate.py [--max-children 2] [--fail-under 95] [MUTANT_NAME_PATTERN ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "mutation"
EQUIVALENT_FILE = ROOT / "tests" / "mutation" / "equivalent.md"
MODULES = ("ensure", "params", "status", "polling", "naming", "data_files")
#: ``staging path -> what it points to``, relative to the repository root.
LINKS = {
    "src/personalize_pipeline": "functions/shared/personalize_pipeline",
    "tests": "tests",
    "example": "example",
    # A handler test loads this app by path; only the app, so that functions/shared (the unmutated
    # package) never lands on the staged sys.path.
    "functions/check_data": "functions/check_data",
    "pyproject.toml": "pyproject.toml",
}
#: mutmut's exit codes per mutant (mutmut/stats.py): 1 and 3 are failing tests, 36 a timeout.
KILLED_CODES = {1, 3, 36}
SURVIVED_CODES = {0}
#: One equivalent mutant: - `personalize_pipeline.<module>.<mangled function>` `<mutated line>` — <reason>
EQUIVALENT_LINE = re.compile(r"^- `(?P<function>[^`]+)` `(?P<line>.*)` — (?P<reason>\S.*)$")


def stage() -> None:
    """Create build/mutation/ with its symlinks (idempotent; mutmut's own mutants/ inside it is kept)."""
    for link, target in LINKS.items():
        path = STAGE / link
        if path.is_symlink() and path.resolve() == (ROOT / target).resolve():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        relative = os.path.relpath(ROOT / target, path.parent)
        if path.is_symlink() and os.readlink(path) == relative:
            continue
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(relative)


def run_mutmut(max_children: int, patterns: list[str]) -> tuple[float, float]:
    """Run ``mutmut run`` in the staging directory; return (wall seconds, CPU seconds of mutmut and its tests)."""
    mutmut = Path(sys.executable).with_name("mutmut")
    if not patterns:
        # A full run starts clean: mutmut keeps earlier verdicts of unchanged functions even when the tests
        # changed, which would report stale survivors.
        shutil.rmtree(STAGE / "mutants", ignore_errors=True)
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [str(mutmut), "run", "--max-children", str(max_children), *patterns], cwd=STAGE, check=False
    ).returncode
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done != 0:
        sys.exit(f"mutmut run failed with exit code {done}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - started, cpu


def load_equivalents() -> dict[tuple[str, str], str]:
    """``(function, mutated line) -> reason`` from tests/mutation/equivalent.md."""
    found = {}
    for number, text in enumerate(EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if text.startswith("- `"):
            match = EQUIVALENT_LINE.match(text)
            if not match:
                sys.exit(f"{EQUIVALENT_FILE.relative_to(ROOT)} line {number}: expected - `function` `line` — reason")
            found[(match["function"], match["line"].strip())] = match["reason"]
    return found


def mutated_lines(mutant: str, path: Path) -> tuple[str, str]:
    """The mutant's changed lines as (removed, added), each stripped and joined with `` / ``."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant, path=path).splitlines()
    removed = [line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")]
    return " / ".join(removed), " / ".join(added)


def report(fail_under: float | None) -> int:
    os.chdir(STAGE)
    equivalents = load_equivalents()
    used: set[tuple[str, str]] = set()
    rows = []
    survivors = []
    for module in MODULES:
        path = Path("src/personalize_pipeline") / f"{module}.py"
        meta = json.loads((Path("mutants") / f"{path}.meta").read_text())["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for mutant, code in sorted(meta.items(), key=lambda item: _natural(item[0])):
            if code in KILLED_CODES:
                counts["killed"] += 1
                continue
            if code is None:  # not run (interrupted, or filtered out): no diff needed to say so
                counts["other"] += 1
                survivors.append((mutant, code, "", ""))
                continue
            function = mutant.partition("__mutmut_")[0]
            removed, added = mutated_lines(mutant, path)
            key = (function, added)
            if code in SURVIVED_CODES and key in equivalents:
                counts["equivalent"] += 1
                used.add(key)
                continue
            counts["survived" if code in SURVIVED_CODES else "other"] += 1
            survivors.append((mutant, code, removed, added))
        rows.append((module, len(meta), counts))

    print(f"\n{'module':<11} {'total':>6} {'killed':>7} {'survived':>9} {'equiv.':>7} {'other':>6} {'score':>7}")
    totals: Counter[str] = Counter()
    all_mutants = 0
    for module, total, counts in rows:
        all_mutants += total
        totals.update(counts)
        print(
            f"{module:<11} {total:>6} {counts['killed']:>7} {counts['survived']:>9} {counts['equivalent']:>7} "
            f"{counts['other']:>6} {_percent(counts['killed'], total - counts['equivalent']):>7}"
        )
    non_equivalent = all_mutants - totals["equivalent"]
    print(
        f"{'all':<11} {all_mutants:>6} {totals['killed']:>7} {totals['survived']:>9} {totals['equivalent']:>7} "
        f"{totals['other']:>6} {_percent(totals['killed'], non_equivalent):>7}"
    )
    print(f"\nkilled / total:          {totals['killed']} / {all_mutants} = {_percent(totals['killed'], all_mutants)}")
    print(
        f"killed / non-equivalent: {totals['killed']} / {non_equivalent} = {_percent(totals['killed'], non_equivalent)}"
    )
    print("(timeouts count as killed; 'other' is no tests, suspicious or not checked)")

    if survivors:
        print(f"\n{len(survivors)} surviving mutants (show one: cd build/mutation && mutmut show NAME):")
        for mutant, code, removed, added in survivors:
            if code is None:
                print(f"  {mutant} (not checked)")
                continue
            status = "survived" if code in SURVIVED_CODES else f"exit code {code}"
            print(f"  {mutant} ({status})\n      - {removed}\n      + {added}")
    stale = sorted(set(equivalents) - used)
    if stale:
        print(f"\n{len(stale)} entries of {EQUIVALENT_FILE.relative_to(ROOT)} match no surviving mutant any more:")
        for function, line in stale:
            print(f"  {function}: {line}")
    score = 100.0 * totals["killed"] / non_equivalent if non_equivalent else 100.0
    if fail_under is not None and score < fail_under:
        print(f"\nFAIL: {score:.1f} % of the non-equivalent mutants killed, below {fail_under:g} %")
        return 1
    return 0


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "n/a"


def _natural(name: str) -> tuple[str, int]:
    function, _, number = name.partition("__mutmut_")
    return function, int(number or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fail-under", type=float, help="exit 1 when killed / non-equivalent is below this percentage")
    parser.add_argument("--report-only", action="store_true", help="print the score of the last run, run nothing")
    parser.add_argument("--stage", type=Path, help="another staging directory (say, a saved earlier run)")
    parser.add_argument("patterns", nargs="*", help="only (re)run the mutants matching these names (mutmut globs)")
    args = parser.parse_args()
    if args.stage:
        global STAGE
        STAGE = args.stage.resolve()
    stage()
    if not args.report_only:
        wall, cpu = run_mutmut(args.max_children, args.patterns)
        print(f"\nmutmut run: {wall:.0f} s wall, {cpu:.0f} s CPU (mutmut and its test processes)")
    return report(args.fail_under)


if __name__ == "__main__":
    sys.exit(main())
