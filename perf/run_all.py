"""`make bench`: run every pyperf suite under perf/ and every `sequex bench` harness.

Results go to ``var/bench/`` (pyperf JSON per suite, one JSON object per harness) and a summary
is printed. These are measurements, not tests: nothing here fails on a slow figure. The machine
is small and shared, so each harness repeats its runs and reports the median and the range.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
#: file name -> `sequex bench` arguments (each harness repeats its runs and quotes the pure build)
HARNESSES: dict[str, list[str]] = {
    "ring": ["ring"],
    "journal": ["journal"],
    "book": ["book"],
    "book-w1024": ["book", "--feedback-window", "1024"],
    "replay": ["replay"],
    "simulate": ["simulate"],
    "pipeline": ["pipeline", "--fused", "--no-digest", "--rate", "100000"],
    "pipeline-digest": ["pipeline", "--fused", "--pure-repeats", "0"],
    "reporter": ["reporter"],  # needs the PostgreSQL server of the machine (127.0.0.1:5432)
}


def run_pyperf_suites() -> None:
    for script in sorted((ROOT / "perf").glob("bench_*.py")):
        output = OUT / f"pyperf-{script.stem}.json"
        output.unlink(missing_ok=True)
        print(f"== pyperf {script.name}", flush=True)
        subprocess.run(
            [sys.executable, str(script), "--fast", "--quiet", "-o", str(output)],
            check=True,
            cwd=ROOT,
        )
        subprocess.run([sys.executable, "-m", "pyperf", "show", "--quiet", str(output)], check=True)


def run_harnesses() -> None:
    sequex = Path(sys.executable).with_name("sequex")
    for name, args in HARNESSES.items():
        print(f"== sequex bench {' '.join(args)}", flush=True)
        done = subprocess.run(
            [str(sequex), "bench", *args, "--json"],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        figures = json.loads(done.stdout)
        (OUT / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
        for key, value in figures.items():
            shown = f"{value:,}" if isinstance(value, int | float) else str(value)
            print(f"  {key:<32} {shown}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    run_harnesses()
    run_pyperf_suites()
    return 0


if __name__ == "__main__":
    sys.exit(main())
