"""The benchmark runner: ``python -m bench [NAME ...] [--runs N] [--duration S]``."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from ._harness import Options
from ._procs import BenchError, terminate_on_sigterm
from ._results import RESULTS_DIR

BENCHMARKS = (
    "hello",
    "views_p1",
    "bridge_parallel",
    "native_orm",
    "templates",
    "http_fanout",
    "realtime",
    "observability",
    "page",
)
"""Module names in ``bench/``, in the order ``python -m bench`` runs them."""


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"bench.{name}")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _not_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench``."""
    defaults = Options()
    listing = "\n".join(f"  {name:<16} {_load(name).DESCRIPTION}" for name in BENCHMARKS)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Run django_asyncx's benchmarks: each prints a table of ratios against its "
            "baselines and writes a JSON result into bench/results/. Servers run on one CPU, "
            "wrk on another; see docs/performance.md for the method."
        ),
        epilog=f"benchmarks:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all); accepted: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--runs",
        type=_positive,
        default=defaults.runs,
        help=f"measured runs per target; the table shows median and min-max "
        f"(default: {defaults.runs})",
    )
    parser.add_argument(
        "--duration",
        type=_positive,
        default=defaults.duration,
        help=f"seconds of each measured wrk run (default: {defaults.duration})",
    )
    parser.add_argument(
        "--warmup",
        type=_not_negative,
        default=defaults.warmup,
        help=f"seconds of wrk before each measured run, not recorded (default: {defaults.warmup})",
    )
    parser.add_argument(
        "--connections",
        type=_positive,
        default=defaults.connections,
        help=f"wrk's open connections (default: {defaults.connections})",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where the JSON results go (default: bench/results/)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the benchmarks asked for; return the exit code."""
    args = parser().parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser().error(
            f"unknown benchmark {', '.join(map(repr, unknown))}; accepted: {', '.join(BENCHMARKS)}"
        )
    options = Options(
        runs=args.runs,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        results_dir=args.results_dir.resolve(),
    )
    try:
        with terminate_on_sigterm():
            for i, name in enumerate(args.names or BENCHMARKS):
                if i:
                    print()
                module = _load(name)
                if hasattr(module, "run"):
                    module.run(options)
                elif module.main([]) != 0:  # a benchmark with options of its own
                    raise BenchError(f"benchmark {name} failed")
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, nothing recorded", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
