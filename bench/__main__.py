# SPDX-License-Identifier: EUPL-1.2
"""`python -m bench`: every benchmark of design.md on simulated populations of 20,000 and 100,000 youths, then
bench/RESULTS.md: one table of every goal at every size, beside its baseline from the same run.

First the populations (bench/population.py: the simulator's youths and a year of their events, loaded through
the real intake; built once per size and seed, then reused). Then, size by size, each benchmark in its own
process (one's servers and databases never outlive it); each writes bench/results/<name>-<youths>-<date>.md,
whose goal table (the rows with a goal and a "met" column) RESULTS.md gathers. `--quick` passes `--quick` on;
`--only intake,webhooks` runs a few; `--youths 20000` one size; `--gather` only rewrites RESULTS.md from
each benchmark's newest result file (a benchmark rerun alone replaces its rows, the others keep theirs).

    python -m bench                    # both sizes, every benchmark: about 50 minutes on 2 cores (+20 to build)
    python -m bench --youths 20000     # one size
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import common, population

SIZES = (20_000, 100_000)
SEED = 2026
# name: (module, extra arguments of a quick run). The order is cheapest first.
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "intake": ("bench.intake", ["--quick"]),
    "webhooks": ("bench.webhooks", ["--quick"]),
    "reporting": ("bench.reporting", ["--requests", "30"]),
    "evaluate": ("bench.evaluate", []),
    "load": ("bench.load", ["--quick"]),
}
GOALS = """| what | goal (design.md) | benchmark |
| --- | --- | --- |
| batched intake (1000 events) | >= 40% of a raw COPY of the same rows | intake |
| single-event POST | >= 50% of a bare FastAPI single insert; p99 <= 50 ms at 70% of peak | intake |
| event to first webhook attempt | p95 <= 2 s at half of peak single-event load | webhooks |
| daily re-evaluation, 100,000 youths, a year of history | <= 3x state + rules in a tight loop; <= 60 s | evaluate |
| reporting: one indicator, two dimensions, three years, 100,000 youths | p95 <= 200 ms | reporting |
| webhook dispatch | >= 25% of a bare asyncio httpx sender with the same signing | webhooks |
| mixed load at the single-event peak (issue 8) | throughput, latency, worker lag, no memory growth | load |
"""


@dataclass
class Outcome:
    name: str
    youths: int
    code: int | None
    seconds: float
    file: Path | None = None  # gathered: the newest result file; None: today's, just written

    @property
    def path(self) -> Path:
        return self.file or result_path(self.name, self.youths)


def result_path(name: str, youths: int) -> Path:
    return common.RESULTS / f"{name}-{youths}-{date.today().isoformat()}.md"


def build_populations(sizes: list[int]) -> None:
    """Each size's population, built now when missing (its own process, so no engine outlives it)."""
    for youths in sizes:
        print(f"== population of {youths:,} youths", flush=True)
        command = [sys.executable, "-m", "bench.population", "--youths", str(youths), "--seed", str(SEED)]
        subprocess.run(command, cwd=common.ROOT, check=True)


def describe_populations(sizes: list[int]) -> list[str]:
    lines = []
    for youths in sizes:
        pop = population.stored(population.template_name(youths, population.MONTHS, SEED))
        if pop is None:
            lines.append(f"- {youths:,} youths: not built")
            continue
        rows = ", ".join(f"{table} {count:,}" for table, count in pop.rows.items() if count > 100)
        lines.append(
            f"- {youths:,} youths, {pop.start} to {pop.day} (D), built {pop.built_at}: {population.describe(pop)}; "
            f"rows: {rows}"
        )
    return lines


def run(names: list[str], sizes: list[int], quick: bool) -> list[Outcome]:
    outcomes = []
    for youths in sizes:
        for name in names:
            module, short = BENCHMARKS[name]
            print(f"== {name}, {youths:,} youths", flush=True)
            started = time.monotonic()
            command = [sys.executable, "-m", module, "--youths", str(youths), *(short if quick else [])]
            code = subprocess.run(command, cwd=common.ROOT, check=False).returncode
            outcomes.append(Outcome(name, youths, code, time.monotonic() - started))
    return outcomes


def goal_rows(text: str) -> list[dict[str, str]]:
    """The rows of the result's tables that carry a goal (a table with "goal" and "met" columns)."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not all(re.fullmatch(r":?-+:?", cell) for cell in cells) and {"goal", "met"} <= set(header):
            row = dict(zip(header, cells, strict=False))
            if row.get("goal"):
                rows.append(row)
    return rows


def summary(outcomes: list[Outcome]) -> str:
    header = ["benchmark", "youths", "what", "ours", "baseline (same run)", "ratio", "goal", "met"]
    rows = []
    for outcome in outcomes:
        link = f"[{outcome.name}](results/{outcome.path.name})"
        if outcome.code != 0 or not outcome.path.exists():
            failed = f"did not complete (exit code {outcome.code})"
            rows.append([outcome.name, f"{outcome.youths:,}", failed, *[""] * 5])
            continue
        goals = goal_rows(outcome.path.read_text())
        if not goals:
            rows.append([link, f"{outcome.youths:,}", "no goal of design.md: see its file", *[""] * 5])
        for row in goals:
            baseline = row.get("baseline (same run)", row.get("baseline", ""))
            cells = [row.get("what", ""), row.get("ours", ""), baseline, row.get("ratio", "")]
            rows.append([link, f"{outcome.youths:,}", *cells, row["goal"], row["met"]])
    return common.markdown_table(header, rows)


def gather(outcomes: list[Outcome], populations: list[str], command: str) -> str:
    today = date.today().isoformat()
    machine = common.machine("postgres")
    took = sum(o.seconds for o in outcomes)
    duration = f"; the benchmarks took {took / 60:,.0f} minutes" if took else ""
    parts = [
        f"# Benchmark results, {today}",
        "",
        f"`{command}` on {machine['nproc']} cores ({machine['cpu']}), {machine['os']}, Python "
        f"{machine['python']}, PostgreSQL {machine['postgres']}{duration}. "
        "Every benchmark ran on a simulated population (services/simulator, seed "
        f"{SEED}: youths 12 to 26 with a year of events, loaded through the real intake by bench/population.py); "
        "every ratio is against a baseline measured in the same run, on the same machine."
        + (
            " Gathered from each benchmark's newest result file (linked below, dated); each names the command that"
            " produced it and the machine it ran on."
            if "--gather" in command
            else ""
        ),
        "",
        "The goals:",
        "",
        GOALS,
        "## Every goal at every size",
        "",
        summary(outcomes),
        "",
        "Each benchmark's result file (linked) says how it measured, what the data held, where the time went, "
        "and what else ran on the machine (its load average before and after).",
        "",
    ]
    parts += ["## The populations", "", *populations, ""]
    return "\n".join(parts)


def newest_outcomes(names: list[str], sizes: list[int]) -> list[Outcome]:
    """Each benchmark's newest result file at each size, as if just run (for --gather). The dates in the names
    are ISO dates, so the newest sorts last."""
    outcomes = []
    for youths in sizes:
        for name in names:
            found = sorted(common.RESULTS.glob(f"{name}-{youths}-????-??-??.md"))
            outcomes.append(Outcome(name, youths, 0 if found else None, 0.0, found[-1] if found else None))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark's quick variant")
    parser.add_argument("--only", default="", help="comma-separated names: " + ", ".join(BENCHMARKS))
    parser.add_argument("--youths", default=",".join(str(s) for s in SIZES), help="comma-separated sizes")
    parser.add_argument(
        "--gather", action="store_true", help="only write RESULTS.md from each benchmark's newest result files"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    sizes = [int(s) for s in args.youths.split(",") if s]
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.gather:
        outcomes = newest_outcomes(names, sizes)
    else:
        build_populations(sizes)
        outcomes = run(names, sizes, args.quick)
    text = gather(outcomes, describe_populations(sizes), command.strip())
    path = common.ROOT / "bench" / "RESULTS.md"
    path.write_text(text)
    print(f"written to {path.relative_to(common.ROOT)}")
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
