"""One Markdown table from the benchmarks' results (the JSON lines ``bench/harness.py`` writes
to ``BENCH_RESULTS``): ``bench/RESULTS.md``, and the README's performance section between its
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers.

    .venv/bin/python bench/report.py var/bench/results.jsonl [--readme README.md]
"""

import argparse
import datetime
import json
import platform
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _number(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}"
    return f"{text}{unit}"


def table(rows: list[dict]) -> str:
    lines = [
        "| 场景 | 数据量 | 平台 | 查询 | 峰值内存 | 下限 | 下限用时/内存 | 比值 | 目标 | 达成 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = _number(row["floor_ms"], " ms")
        if row.get("floor_peak_mb") is not None:
            floor += f" / {_number(row['floor_peak_mb'], ' MB')}"
        ratio = _number(row["ratio"], "×")
        if row.get("memory_ratio") is not None:
            ratio += f"（内存 {_number(row['memory_ratio'], '×')}）"
        lines.append(
            "| {what} | {dataset} | {ms} | {queries} | {peak} | {floor_name} | {floor} | {ratio} "
            "| {goal} | {met} |".format(
                what=row["what"],
                dataset=row["dataset"],
                ms=_number(row["ms"], " ms"),
                queries=_number(row["queries"]),
                peak=_number(row["peak_mb"], " MB"),
                floor_name=row["floor"] or "—",
                floor=floor,
                ratio=ratio,
                goal=row["goal"] or "—",
                met="✓" if row["met"] else "✗",
            )
        )
    return "\n".join(lines)


def section(rows: list[dict]) -> str:
    when = datetime.date.today().isoformat()
    return (
        f"{START}\n"
        f"`make bench` 于 {when} 在 {platform.machine()}（{_cores()} 核）上生成，"
        "比值是同一次运行、同一数据上平台与下限之比：\n\n"
        f"{table(rows)}\n{END}"
    )


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--readme", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.results.read_text("utf-8").splitlines() if line]
    text = section(rows)
    args.out.write_text(f"# 性能基准结果\n\n{text}\n", encoding="utf-8")
    print(table(rows))
    if args.readme:
        readme = args.readme.read_text("utf-8")
        if START not in readme:
            raise SystemExit(f"{args.readme}: no {START} … {END} markers")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        args.readme.write_text(pattern.sub(lambda _m: text, readme), encoding="utf-8")
    missed = [row["what"] for row in rows if not row["met"]]
    if missed:
        print(f"\ngoals missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
