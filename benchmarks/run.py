"""Every benchmark on SQLite and PostgreSQL, as one markdown report on stdout and in a file (`make bench`).

    .venv/bin/python benchmarks/run.py [--engines sqlite,postgresql] [--output bench-data/results.md]
        [--seconds 5] [--warmup 1] [--rounds 3] [--repeat 20] [sizes and --postgres as throughput.py]

The databases are generated on the first run (a few minutes each) and reused afterwards.
"""

import argparse
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import operations, throughput  # noqa: E402
from benchmarks.shared import DATA, machine  # noqa: E402


def postgres_version(server: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{server.rstrip('/')}/postgres")
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return version


def header(args) -> str:
    facts = machine()
    versions = [f"Python {facts['python']}", f"SQLite {sqlite3.sqlite_version}"]
    if "postgresql" in args.engines:
        versions.append(f"PostgreSQL {postgres_version(args.postgres)}")
    return "\n".join([
        f"## Benchmark run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
        f"- Machine: {facts['cpu']}, {facts['cores']} cores; {', '.join(versions)}",
        f"- Load average before the run (1, 5, 15 min): {facts['load']}",
        f"- gunicorn {throughput.WORKERS} sync workers for the cabinet and the plain app alike, wrk "
        f"-t{throughput.THREADS} -c{throughput.CONNECTIONS}, {args.seconds} s per page after {args.warmup} s of "
        f"warm-up, medians of {args.rounds} round(s)", ""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    throughput.size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--output", type=Path, default=DATA / "results.md")
    args = parser.parse_args(argv)
    parts = [header(args)]
    print(parts[0], flush=True)
    for engine in args.engines.split(","):
        text, _manifest = throughput.run(engine, postgres=args.postgres, sizes=throughput.sizes_of(args),
                                         seconds=args.seconds, warmup=args.warmup, rounds=args.rounds,
                                         regenerate=args.regenerate)
        url = throughput.database_urls(engine, args.postgres, args.subjects)["full"]
        for part in (text, operations.report(engine, url, args.repeat)):
            print(part, flush=True)
            parts.append(part)
    parts.append(f"Load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print(parts[-1])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(parts))
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
