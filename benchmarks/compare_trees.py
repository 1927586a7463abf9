"""gradiente against gradiente: the training steps of ``bench_nn.py`` on two source trees.

Which change made a step faster or slower? Check the older code out beside this one
(``git worktree add ../old REV``, or ``git archive REV | tar -x -C ../old``) and time both
trees' gradiente, each step in a process of its own, alternating which tree goes first; print
the median of the per-pair ratios new/old (the machine's noise is about ±25 % on steps of a few
milliseconds, so look at the spread of the ratios too).

    python benchmarks/compare_trees.py ../old . --pairs 8 --cases lenet vgg
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "bench_nn.py"


def _step_times(tree: Path, cases, repeats: int, threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), OMP_WAIT_POLICY="PASSIVE")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, str(BENCH), "--framework", "gradiente", "--repeats", str(repeats)]
    cmd += ["--threads", str(threads), "--cases", *cases]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", type=Path, help="the older source tree (holding src/gradiente)")
    parser.add_argument("new", type=Path, help="the newer source tree")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--cases", nargs="+", default=["mlp", "lenet", "vgg"])
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    ratios = {c: [] for c in args.cases}
    times = {(t, c): [] for t in trees for c in args.cases}
    for pair in range(args.pairs):
        order = ["old", "new"] if pair % 2 == 0 else ["new", "old"]
        got = {
            name: _step_times(trees[name], args.cases, args.repeats, args.threads) for name in order
        }
        for c in args.cases:
            ratios[c].append(got["new"][c] / got["old"][c])
            for name in trees:
                times[(name, c)].append(got[name][c])
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"threads={args.threads} pairs={args.pairs} repeats={args.repeats} load {load:.1f}")
    for c in args.cases:
        spread = ", ".join(f"{r:.2f}" for r in ratios[c])
        old_ms = statistics.median(times[("old", c)]) * 1e3
        new_ms = statistics.median(times[("new", c)]) * 1e3
        print(
            f"{c}: new/old {statistics.median(ratios[c]):.3f} (pairs: {spread}); "
            f"old {old_ms:.2f} ms, new {new_ms:.2f} ms"
        )


if __name__ == "__main__":
    main()
