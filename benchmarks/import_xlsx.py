"""`import_xlsx`: reading order lines from an `.xlsx` workbook beside the same lines as CSV.

What is measured is the import's reading step, `core.importing.stream_values` with the orders
import's row model: open the file, find the header, turn every cell into the text a CSV file
would hold, check the columns. It is the only step that differs between a workbook and its CSV
twin (validating, staging and writing the rows are the same code for both), and it runs in
process, without the database.

- `import_xlsx.read_rate`: order lines per second read from the workbook (python-calamine),
  with `baseline` the same lines read from the CSV file and their `ratio`; medians of the runs,
  run alternately so that both see the same share of the shared machine.
- `import_xlsx.read_validated_rate`: the same, each row then validated by the orders row model
  (pydantic), as the import does next: the rate a user sees before the database.
- `import_xlsx.peak_rss`: the peak resident size of a child process that reads the workbook
  once (`baseline`: the same for the CSV file); calamine holds the sheet's cells in memory.

The workbook is written as openpyxl writes it (texts in their cells, dates as date cells,
quantities and amounts as numbers); the CSV file is plain (`,`, ISO dates, `.` decimals). Orders
of one to five lines, as in `import_orders`. `--scale small`: 20,000 lines; `full`: 200,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from common import ROOT, emit_compared, parser, peak_rss_mib, timed_pair

LINES = {"small": 20_000, "full": 200_000}
RUNS = {"small": 3, "full": 3}
PARTNERS = 2_000
PRODUCTS = 50
HEADER = ["order_number", "partner_number", "order_date", "sku", "quantity", "net_amount"]
DATA = ROOT / "var" / "bench-import-xlsx"


def _lines(count: int) -> list[list[object]]:
    """The order lines, typed as in a workbook: orders of one to five lines, a credit note now
    and then."""
    lines: list[list[object]] = []
    order = 0
    while len(lines) < count:
        partner = f"BP-{order * 7919 % PARTNERS:05d}"
        day = dt.date(2026, 1 + order % 12, 1 + order % 28)
        for line in range(min(1 + order % 5, count - len(lines))):
            quantity = 1 + (order + line) % 9
            cents = quantity * (19 + line * 7) * 100 + (order + line) % 100
            if order % 20 == 19:
                quantity, cents = -quantity, -cents
            sku = f"BSKU-{(order + line) % PRODUCTS:03d}"
            lines.append([f"SO-{order:07d}", partner, day, sku, quantity, cents / 100])
        order += 1
    return lines


def _files(count: int) -> tuple[Path, Path]:
    """The workbook and its CSV twin of `count` lines, written once and kept under var/."""
    from openpyxl import Workbook

    DATA.mkdir(parents=True, exist_ok=True)
    workbook, text = DATA / f"orders-{count}.xlsx", DATA / f"orders-{count}.csv"
    if workbook.exists() and text.exists():
        return workbook, text
    lines = _lines(count)
    with text.open("w", encoding="ascii") as out:
        out.write(",".join(HEADER) + "\n")
        for number, partner, day, sku, quantity, amount in lines:
            out.write(f"{number},{partner},{day},{sku},{quantity},{amount:.2f}\n")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Orders")
    sheet.append(HEADER)
    for each in lines:
        sheet.append(each)
    book.save(workbook)
    return workbook, text


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    os.environ.setdefault("CHANNELDESK_VAR_DIR", str(ROOT / "var"))
    import django

    django.setup()


def read(path: Path, *, validated: bool = False) -> int:
    """Read the file through the import's reading step (and, `validated`, each row through the
    orders row model as the import then does); the number of lines read, problems refused."""
    from channeldesk.catalog.imports.orders import OrderLineRow
    from channeldesk.core.importing import ParsedFile, ProblemLog, stream_values, validate_row

    parsed: ParsedFile[OrderLineRow] = ParsedFile(
        path.name, [], 0, "utf-8", ",", ProblemLog(path.name), ProblemLog(path.name)
    )
    with path.open("rb") as source:
        content = source.read()
    read_lines = 0
    for line, values in stream_values(
        parsed, row_model=OrderLineRow, source=io.BytesIO(content), total_bytes=len(content)
    ):
        read_lines += 1
        if validated:
            validate_row(
                row_model=OrderLineRow,
                values=values,
                line=line,
                german=parsed.german,
                problems=parsed.problems,
            )
    if len(parsed.problems):
        raise SystemExit(f"{path}: problems while reading: {parsed.problems.items[:3]}")
    return read_lines


def _own_peak_rss_mib() -> float:
    """This process's peak resident size since it started (`VmHWM`); `ru_maxrss` would keep the
    parent's size at the fork (Linux carries it over an exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mib()


def _child_rss(path: Path) -> float:
    """Peak resident size (MiB) of a fresh process reading `path` once."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(result.stdout)["rss_mib"])


def main() -> None:
    options = parser(__doc__.splitlines()[0], LINES)
    options.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    arguments = options.parse_args()
    _setup_django()
    if arguments.child is not None:
        read(arguments.child)
        print(json.dumps({"rss_mib": _own_peak_rss_mib()}))
        return
    count, runs = LINES[arguments.scale], arguments.runs or RUNS[arguments.scale]
    workbook, text = _files(count)
    for path in (workbook, text):
        if (lines := read(path)) != count:
            raise SystemExit(f"{path}: read {lines:,} lines, expected {count:,}")
    workbook_seconds, text_seconds, _ = timed_pair(lambda: read(workbook), lambda: read(text), runs)
    common = {"scale": arguments.scale, "runs": runs, "lines": count, "database": "none"}
    emit_compared(
        "import_xlsx.read_rate",
        count / workbook_seconds,
        "lines/s",
        baseline=count / text_seconds,
        seconds=round(workbook_seconds, 3),
        baseline_seconds=round(text_seconds, 3),
        workbook_bytes=workbook.stat().st_size,
        csv_bytes=text.stat().st_size,
        **common,
    )
    workbook_seconds, text_seconds, _ = timed_pair(
        lambda: read(workbook, validated=True), lambda: read(text, validated=True), runs
    )
    emit_compared(
        "import_xlsx.read_validated_rate",
        count / workbook_seconds,
        "lines/s",
        baseline=count / text_seconds,
        seconds=round(workbook_seconds, 3),
        baseline_seconds=round(text_seconds, 3),
        **common,
    )
    emit_compared(
        "import_xlsx.peak_rss",
        _child_rss(workbook),
        "MiB",
        baseline=_child_rss(text),
        **common,
    )


if __name__ == "__main__":
    main()
