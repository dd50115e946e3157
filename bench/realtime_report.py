"""The realtime benchmark's tables, from its result document (``bench/realtime.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["report"]


def _table(title: str, header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [header, *([f"{c:,}" if isinstance(c, int) else str(c) for c in r] for r in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    aligned = [
        "  ".join(
            [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]
        )
        for r in cells
    ]
    return ["", title, *(f"  {line}" for line in aligned)]


IDLE_HEADER = ["target", "open", "failed", "RSS MiB", "threads", "threads before", "open s"]


def _idle_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [r["label"], r["opened"], r["failed"], f"{r['after']['rss_mib']:.0f}",
         r["after"]["threads"], r["before"]["threads"], r["open_s"]]
        for r in rows
    ]  # fmt: skip


def _churn_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [r["label"], f"{r['rounds'][0]['rss_mib']:.0f}", f"{r['rounds'][-1]['rss_mib']:.0f}",
         f"{r['rss_growth']:+.1%}", r["stale_members"], r["tasks_over_baseline"],
         r["fds_over_baseline"], sum(p["failed"] for p in r["rounds"])]
        for r in rows
    ]  # fmt: skip


def _broadcast_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [r["label"], f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.1f}",
         r["missing"]]
        for r in rows
    ]  # fmt: skip


def report(document: dict[str, Any]) -> str:
    """The four tables of a result, as text, then its notes."""
    n = document["scale"]
    settle = document.get("settle_s", 3.0)
    lines = _table(
        f"idle WebSockets: {n['connections']:,} connections, server RSS {settle:g} s after "
        "(target, ours with the recommended settings: <= 400 MiB)",
        IDLE_HEADER,
        _idle_rows(document["websockets"]),
    )
    lines += _table(
        f"idle event streams: {n['connections']:,} streams, RSS {settle:g} s after (target, "
        "ours: <= 350 MiB, threads not growing with streams)",
        IDLE_HEADER,
        _idle_rows(document["streams"]),
    )
    lines += _table(
        f"churn: {n['rounds']} rounds of {n['churn']:,} connects then disconnects, Redis layer "
        "(target: RSS within 5 %, 0 stale members, tasks and fds back to the baseline)",
        ["target", "RSS 1st", "RSS last", "growth", "stale", "tasks+", "fds+", "failed"],
        _churn_rows(document["churn"]),
    )
    lines += _table(
        f"broadcast: one message to {n['subscribers']:,} subscribers over two uvicorn processes "
        f"sharing Redis, {n['messages']} times (target, ours: p99 < 50 ms)",
        ["target", "p50 ms", "p99 ms", "max ms", "missing"],
        _broadcast_rows(document["broadcast"]),
    )
    lines += [f"note: {note}" for note in document["notes"]]
    lines += [f"error: {error}" for error in document.get("errors", [])]
    return "\n".join(lines[1:])
