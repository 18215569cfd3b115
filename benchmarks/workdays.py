"""Working-day arithmetic per call: due dates and days left over random dates, on a calendar already in use.

    .venv/bin/python benchmarks/workdays.py [--calls 20000] [--rounds 3]

No database: the Kazakh calendar with its decreed transfers. Prints the median µs per call of each round and the
median over rounds, and the one-off cost of a new calendar version's first use of a year (its counts built).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cabinet.workdays.calendar import WorkCalendar  # noqa: E402


def per_call(work, cases) -> float:
    started = time.perf_counter()
    for case in cases:
        work(*case)
    return (time.perf_counter() - started) / len(cases) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    randomly = random.Random(17)
    days = [date(2024, 1, 1) + timedelta(days=randomly.randrange(5 * 365)) for _ in range(args.calls)]
    WorkCalendar().working_days_in(2026)  # the holidays library builds the year once per process
    started = time.perf_counter()
    cal = WorkCalendar()
    cal.add_working_days(date(2026, 6, 1), 1)
    print(f"a new calendar version's first due date in a year: {(time.perf_counter() - started) * 1000:.2f} ms")
    cal.working_days_between(date(2023, 12, 1), date(2029, 12, 31))  # every year of the cases in use, as a worker's
    measures = {
        "add_working_days(day, 10)": (cal.add_working_days, [(d, 10) for d in days]),
        "add_working_days(day, 30)": (cal.add_working_days, [(d, 30) for d in days]),
        "working_days_between(day, day + 0..60)": (
            cal.working_days_between, [(d, d + timedelta(days=randomly.randrange(61))) for d in days]),
    }
    found = {name: [] for name in measures}
    for round_ in range(1, args.rounds + 1):
        for name, (work, cases) in measures.items():
            found[name].append(per_call(work, cases))
        print(f"round {round_} (load {os.getloadavg()[0]:.2f}): "
              + "; ".join(f"{name} {values[-1]:.2f} µs" for name, values in found.items()))
    for name, values in found.items():
        print(f"median, {name}: {statistics.median(values):.2f} µs")


if __name__ == "__main__":
    main()
