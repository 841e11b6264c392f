"""The engine's transitions per second against another checkout's, in one interleaved run (A/B).

    .venv/bin/python bench/engine_ab.py --base /work/wt/base [--rounds 4] [--seconds 3] [--sqlite-clients 1,4]
        [--pg-clients 4] [--orgs 4]

Runs ``bench/engine_bench.py --variants raw,engine`` of this checkout and of ``--base`` one
after the other, alternating which goes first, ``--rounds`` times per database and client
count. Each run is a fresh database; raw is measured in every run so a round's load shows.
Prints each run and the medians, with new/base for the engine and for raw.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^\s+(sqlite|postgresql)\s+run \d+\s+(\w+)\s+(\d+) transitions/s\s+(\d+) µs CPU each")


def run(checkout: Path, db: str, clients: int, seconds: float, orgs: int) -> dict[str, tuple[float, float]]:
    """One bench run of ``checkout``: variant -> (transitions/s, CPU µs each)."""
    cmd = [sys.executable, str(checkout / "bench" / "engine_bench.py"), "--db", db, "--variants", "raw,engine"]
    cmd += ["--orgs", str(orgs)]
    cmd += ["--seconds", str(seconds), "--repeats", "1", f"--{'sqlite' if db == 'sqlite' else 'pg'}-clients"]
    cmd += [str(clients)]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            found[m.group(2)] = (float(m.group(3)), float(m.group(4)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (e.g. a worktree of main)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--sqlite-clients", default="1,4")
    parser.add_argument("--pg-clients", default="4")
    parser.add_argument("--orgs", type=int, default=4, help="organisations the clients' cases belong to")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    for db in args.db.split(","):
        for clients in map(int, (args.sqlite_clients if db == "sqlite" else args.pg_clients).split(",")):
            got: dict[str, dict[str, list[tuple[float, float]]]] = {"new": {}, "base": {}}
            for r in range(args.rounds):
                order = [("new", HERE), ("base", args.base)]
                for name, checkout in order if r % 2 == 0 else order[::-1]:
                    for variant, figures in run(checkout, db, clients, args.seconds, args.orgs).items():
                        got[name].setdefault(variant, []).append(figures)
                    print(
                        f"{db} clients={clients} round {r + 1} {name:<4} engine {got[name]['engine'][-1][0]:6.0f}/s "
                        f"raw {got[name]['raw'][-1][0]:6.0f}/s load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
            med = {n: {v: statistics.median(x[0] for x in f) for v, f in d.items()} for n, d in got.items()}
            cpu = {n: {v: statistics.median(x[1] for x in f) for v, f in d.items()} for n, d in got.items()}
            print(
                f"== {db} clients={clients}: engine new {med['new']['engine']:.0f}/s "
                f"({cpu['new']['engine']:.0f} µs CPU) "
                f"base {med['base']['engine']:.0f}/s ({cpu['base']['engine']:.0f} µs CPU), "
                f"new/base {med['new']['engine'] / med['base']['engine']:.2f}; raw in the same runs "
                f"{med['new']['raw']:.0f} vs {med['base']['raw']:.0f}/s",
                flush=True,
            )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
