"""Result documents: the machine they were measured on, their table, their JSON files."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ._procs import ROOT, BenchError

RESULTS_DIR = ROOT / "bench" / "results"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _command(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr).strip() or None


def machine_info(servers: Sequence[str] = ()) -> dict[str, Any]:
    """The machine and software a result was measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    wrk = _command(["wrk", "--version"])
    commit = _command(["git", "rev-parse", "--short", "HEAD"])
    dirty = _command(["git", "status", "--porcelain", "--untracked-files=no"])
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": model[1].strip() if model else platform.processor() or None,
        "kernel": platform.release(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "django": _version("django"),
        "asgiref": _version("asgiref"),
        "django_asyncx": _version("django-asyncx"),
        "servers": {s: _version(s) for s in servers},
        "wrk": wrk.splitlines()[0].split(" Copyright")[0] if wrk else None,
        "git_commit": f"{commit}{'-dirty' if dirty else ''}" if commit else None,
    }
    if "uvicorn" in servers:
        # What uvicorn's "auto" picks: uvloop and httptools when installed.
        info["uvicorn_loop"] = "uvloop" if _version("uvloop") else "asyncio"
        info["uvicorn_http"] = "httptools" if _version("httptools") else "h11"
    return info


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def table_rows(document: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a result's table, as strings (used for text and Markdown)."""
    labels = {t["key"]: t["short"] for t in document["targets"]}
    header = ["target", "req/s median (min-max)"]
    header += [f"vs {labels[b]}" for b in document["baselines"]]
    header += ["p50 ms", "p99 ms", "client CPU max", "server CPU", "threads", "peak RSS MiB"]
    rows = []
    for t in document["targets"]:
        s = t["summary"]
        rate = s["requests_per_s"]
        client = f"{s['client_cpu']['max']:.0%}"
        if s["client_cpu"]["max"] > document["method"]["client_cpu_limit"]:
            client += " (!)"
        row = [
            t["label"],
            f"{_fmt_rate(rate['median'])} ({_fmt_rate(rate['min'])}-{_fmt_rate(rate['max'])})",
        ]
        row += [f"{t['ratios'][b]:.2f}x" for b in document["baselines"]]
        row += [
            f"{s['p50_ms']['median']:.1f}",
            f"{s['p99_ms']['median']:.1f}",
            client,
            f"{s['server_cpu']['median']:.0%}",
            str(s["threads"]),
            f"{s['peak_rss_mib']:.0f}",
        ]
        if s["errors"]:
            row[0] += f" [{s['errors']} errors]"
        rows.append(row)
    return header, rows


def format_table(document: dict[str, Any]) -> str:
    """The result as an aligned text table, followed by its warnings."""
    header, rows = table_rows(document)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [f"warning: {w}" for w in document["warnings"]]
    return "\n".join(lines)


def write_result(document: dict[str, Any], results_dir: Path) -> Path:
    """Write ``<name>-<UTC date>.json`` into ``results_dir`` and return its path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = document["date"].replace(":", "").replace("-", "")
    path = results_dir / f"{document['benchmark']}-{stamp}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def latest_result(name: str, results_dir: Path = RESULTS_DIR) -> Path:
    """The newest result file of benchmark ``name``."""
    found = sorted(results_dir.glob(f"{name}-*.json"))
    if not found:
        raise BenchError(f"no result for {name!r} in {results_dir}: run `python -m bench {name}`")
    return found[-1]
