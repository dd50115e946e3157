"""Put a benchmark result into the docs: ``python -m bench.report hello``.

Reads the newest ``bench/results/hello-*.json`` (or ``--result FILE``), writes the plot
``docs/performance-hello.svg`` (a plain SVG bar chart: median requests per second, min-max
whiskers, a dashed line at the first baseline's median) and replaces the block between the
``% begin bench:hello`` and ``% end bench:hello`` lines of ``docs/performance.md`` with the
result's table and machine. Nothing is measured here: the figures are the JSON file's.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from html import escape
from pathlib import Path
from typing import Any

from ._procs import ROOT, BenchError
from ._results import latest_result, table_rows

DOCS = ROOT / "docs"
PAGE = DOCS / "performance.md"


def markdown(document: dict[str, Any], image: str) -> str:
    """The result as MyST Markdown: when and where, the table, the warnings, the plot."""
    m, method = document["machine"], document["method"]
    servers = ", ".join(f"{name} {version}" for name, version in m["servers"].items())
    if "uvicorn_loop" in m:
        servers += f" (uvicorn on the {m['uvicorn_loop']} loop with {m['uvicorn_http']})"
    header, rows = table_rows(document)
    lines = [
        f"Measured {document['date'].replace('T', ' ').replace('Z', ' UTC')} on a "
        f"{m['nproc']}-CPU {m['cpu_model']} VM (Linux {m['kernel']}, {m['memory_gib']} GiB, "
        f"load average {' / '.join(map(str, m['load_average_start']))} at the start, "
        f"{' / '.join(map(str, m['load_average_end']))} at the end), "
        f"commit `{m['git_commit']}`: Python {m['python']}, Django {m['django']}, "
        f"asgiref {m['asgiref']}, django_asyncx {m['django_asyncx']}, {servers}, {m['wrk']}. "
        f"{method['runs']} runs x {method['duration_s']} s per target after "
        f"{method['warmup_s']} s of warm-up, {method['connections']} connections.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    lines += [f"Warning: {w}." for w in document["warnings"]]
    if document["warnings"]:
        lines.append("")
    lines.append(f"![Requests per second, median and min-max]({image})")
    return "\n".join(lines)


def _ticks(top: float) -> list[float]:
    """Round axis ticks from 0 to at least ``top``: steps of 1, 2 or 5 times a power of 10."""
    step = 10 ** math.floor(math.log10(top / 4))
    for factor in (1, 2, 5, 10):
        if top / (step * factor) <= 6:
            step *= factor
            break
    return [step * k for k in range(math.ceil(top / step) + 1)]


# Advance of the widest glyphs of a 13 px sans-serif face, with room to spare: SVG has no
# text measurement, and a label cut at the edge is what tells two targets apart.
_CHAR_WIDTH = 7.4
_MARGIN = 12


def _text_width(text: str) -> float:
    return len(text) * _CHAR_WIDTH


def svg(document: dict[str, Any]) -> str:
    """A horizontal bar chart of the median requests per second, with min-max whiskers.

    Each target's label sits left of its bar and its figures (median, ratio to the first
    baseline) in a column right of the plot, both sized to their longest text, so neither is
    cut off nor crossed by a whisker or the baseline's dashed line.
    """
    targets = document["targets"]
    baseline = next(t for t in targets if t["key"] == document["baselines"][0])
    ticks = _ticks(max(t["summary"]["requests_per_s"]["max"] for t in targets))
    figures = [
        f"{t['summary']['requests_per_s']['median']:,.0f} "
        f"({t['ratios'][baseline['key']]:.2f}x {baseline['short']})"
        for t in targets
    ]
    title = (
        f"{document['benchmark']}: requests per second, median and min-max "
        f"({document['date'][:10]})"
    )
    left = _MARGIN + max(_text_width(t["label"]) for t in targets) + 8
    width, bar, gap, head = 400, 26, 14, 44
    figures_x = left + width + 14
    total = max(figures_x + max(map(_text_width, figures)), _MARGIN + _text_width(title))
    axis_y = head + len(targets) * (bar + gap)

    def x(rate: float) -> float:
        return left + width * rate / ticks[-1]

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total + _MARGIN:.0f}" '
        f'height="{axis_y + 30}" font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{_MARGIN}" y="20" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (t, figure) in enumerate(zip(targets, figures, strict=True)):
        rate = t["summary"]["requests_per_s"]
        y = head + i * (bar + gap)
        mid = y + bar / 2
        color = "#999999" if t is baseline else "#4c72b0"
        out += [
            f'<text x="{left - 8:.1f}" y="{mid + 4}" text-anchor="end">{escape(t["label"])}</text>',
            f'<rect x="{left:.1f}" y="{y}" width="{x(rate["median"]) - left:.1f}" height="{bar}" '
            f'fill="{color}"/>',
            f'<line x1="{x(rate["min"]):.1f}" x2="{x(rate["max"]):.1f}" y1="{mid}" y2="{mid}" '
            'stroke="black" stroke-width="1.5"/>',
            f'<text x="{figures_x:.1f}" y="{mid + 4}">{escape(figure)}</text>',
        ]
    base_x = x(baseline["summary"]["requests_per_s"]["median"])
    out += [
        f'<line x1="{base_x:.1f}" x2="{base_x:.1f}" y1="{head - 6}" y2="{axis_y}" '
        'stroke="#c44e52" stroke-dasharray="4 3"/>',
        f'<line x1="{left:.1f}" x2="{left + width:.1f}" y1="{axis_y}" y2="{axis_y}" '
        'stroke="black"/>',
    ]
    out += [
        f'<text x="{x(tick):.1f}" y="{axis_y + 16}" text-anchor="middle" font-size="11">'
        f"{tick:,.0f}</text>"
        for tick in ticks
    ]
    out.append("</svg>")
    return "\n".join(out) + "\n"


def replace_block(page: str, name: str, block: str) -> str:
    """``page`` with the lines between ``% begin bench:NAME`` and ``% end bench:NAME`` replaced."""
    begin, end = f"% begin bench:{name}\n", f"% end bench:{name}\n"
    if begin not in page or end not in page:
        raise BenchError(f"{PAGE} has no {begin.strip()!r} ... {end.strip()!r} block")
    head, rest = page.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{block}\n\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Write the plot and the docs block of one benchmark's result."""
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("name", metavar="NAME", help="the benchmark, e.g. hello")
    parser.add_argument("--result", type=Path, help="a result file (default: the newest)")
    args = parser.parse_args(argv)
    try:
        path = args.result or latest_result(args.name)
        document = json.loads(path.read_text())
        image = DOCS / f"performance-{args.name}.svg"
        image.write_text(svg(document))
        PAGE.write_text(replace_block(PAGE.read_text(), args.name, markdown(document, image.name)))
    except (BenchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path.name} -> {image.relative_to(ROOT)}, {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
