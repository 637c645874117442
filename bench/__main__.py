# SPDX-License-Identifier: EUPL-1.2
"""`python -m bench`: every benchmark of design.md in one run, then bench/RESULTS.md from their results.

Each benchmark runs in its own process (one's servers and databases never outlive it) and writes
bench/results/<name>-<date>.md; RESULTS.md gathers today's files under the machine they ran on. Every figure in
them is a ratio or a goal beside a baseline measured in the same run. `--quick` passes `--quick` on (minutes
instead of most of an hour); `--only intake,webhooks` runs a few.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date

from bench import common

# name: (module, arguments of a full run, arguments of a quick run). The order is cheapest first.
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "intake": ("bench.intake", [], ["--quick"]),
    "webhooks": ("bench.webhooks", [], ["--quick"]),
    "reporting": ("bench.reporting", ["--youths", "100000"], ["--youths", "20000", "--refresh-youths", "0"]),
    "evaluate": ("bench.evaluate", [], ["--quick"]),
    "load": ("bench.load", [], ["--quick"]),
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


def run(names: list[str], quick: bool) -> dict[str, tuple[int, float]]:
    outcomes = {}
    for name in names:
        module, full, short = BENCHMARKS[name]
        print(f"== {name}", flush=True)
        started = time.monotonic()
        code = subprocess.run([sys.executable, "-m", module, *(short if quick else full)], cwd=common.ROOT, check=False)
        outcomes[name] = (code.returncode, time.monotonic() - started)
    return outcomes


def gather(names: list[str], outcomes: dict[str, tuple[int, float]], quick: bool) -> str:
    today = date.today().isoformat()
    machine = common.machine("postgres")
    parts = [
        f"# Benchmark results, {today}",
        "",
        f"`python -m bench{' --quick' if quick else ''}` on {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['os']}, Python {machine['python']}, PostgreSQL {machine['postgres']}. Each section below is "
        "the benchmark's own result file of today (bench/results/); its ratios are against baselines measured in "
        "the same run.",
        "",
        GOALS,
    ]
    for name in names:
        code, seconds = outcomes.get(name, (None, 0.0))
        path = common.RESULTS / f"{name}-{today}.md"
        parts.append(f"## {name}\n")
        if code != 0 or not path.exists():
            parts.append(f"Did not complete in this run (exit code {code}); see its output.\n")
            continue
        body = path.read_text().split("\n", 1)[1].strip()  # without the file's own title
        parts.append(f"{body}\n\n(ran {seconds:,.0f} s)\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark's quick variant")
    parser.add_argument("--only", default="", help="comma-separated names: " + ", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    outcomes = run(names, args.quick)
    text = gather(names, outcomes, args.quick)
    path = common.ROOT / "bench" / "RESULTS.md"
    path.write_text(text)
    print(f"written to {path.relative_to(common.ROOT)}")
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
