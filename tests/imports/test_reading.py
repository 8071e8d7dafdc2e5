"""The framework's file reading: encodings, separators, numbers, dates, headers and line numbers.

These tests need no database: reading and validating a file happens before any query.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import Field

from channeldesk.core.importing import (
    CsvDate,
    CsvDecimal,
    ImportProblem,
    ImportProgress,
    ImportRow,
    ImportStage,
    Money,
    NotBlank,
    OptionalInt,
    ParsedFile,
    ProblemLog,
    parse_date,
    parse_decimal,
    parse_int,
    read_csv_rows,
)
from tests.imports.helpers import excel_csv, excel_utf8_csv


class Thing(ImportRow):
    """A row model for the framework tests: text, decimal and date columns, one optional int."""

    name: Annotated[str, Field(max_length=10), NotBlank]
    amount: CsvDecimal
    day: CsvDate
    count: OptionalInt = None


def read_things(content: bytes) -> ParsedFile[Thing]:
    return read_csv_rows(
        row_model=Thing, source=iter(content.splitlines(keepends=True)), file_name="things.csv"
    )


def as_tuples(parsed: ParsedFile[Thing]) -> list[tuple[object, ...]]:
    return [
        (row.line, row.data.name, row.data.amount, row.data.day, row.data.count)
        for row in parsed.rows
    ]


def messages(log: ProblemLog) -> list[str]:
    return [str(item) for item in log.items]


@pytest.mark.parametrize(
    ("text", "german", "expected"),
    [
        ("1.234,50", True, Decimal("1234.50")),
        ("1.234,50", False, Decimal("1234.50")),
        ("1234,5", True, Decimal("1234.5")),
        ("1234.50", True, Decimal("1234.50")),
        ("1234.50", False, Decimal("1234.50")),
        ("1,234.50", False, Decimal("1234.50")),
        ("1.234", True, Decimal("1234")),
        ("1.234", False, Decimal("1.234")),
        ("1.234.567", False, Decimal("1234567")),
        ("-0,5", True, Decimal("-0.5")),
        ("12,00-", True, Decimal("-12.00")),
        ("1.234,50 €", True, Decimal("1234.50")),
        ("  42 ", True, Decimal("42")),
    ],
)
def test_numbers_are_read_the_german_and_the_iso_way(
    text: str, german: bool, expected: Decimal
) -> None:
    # Given a number as German Excel or a plain export writes it
    # When it is parsed
    value = parse_decimal(text, german=german)
    # Then it is the number meant, to the digit
    assert value == expected
    assert str(value) == str(expected)


@pytest.mark.parametrize("text", ["abc", "1e3", "12.34,5", "1.2.3", "-", "1,2,3,4", "--5"])
def test_malformed_numbers_are_refused_with_the_text_in_the_message(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number") as error:
        parse_decimal(text, german=True)
    assert str(error.value) == f"{text!r} is not a number (write e.g. 1.234,50 or 1234.50)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.03.2026", dt.date(2026, 3, 15)),
        ("1.3.2026", dt.date(2026, 3, 1)),
        ("2026-03-15", dt.date(2026, 3, 15)),
    ],
)
def test_dates_are_read_as_german_or_iso(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.02.2026", "'31.02.2026' is not a valid calendar date"),
        ("15.03.26", "'15.03.26' needs a four-digit year (dd.mm.yyyy)"),
        ("03/15/2026", "'03/15/2026' is not a date (write dd.mm.yyyy or yyyy-mm-dd)"),
    ],
)
def test_impossible_or_ambiguous_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"date|year") as error:
        parse_date(text)
    assert str(error.value) == message


def test_whole_numbers_accept_german_grouping_and_zero_decimals_only() -> None:
    assert [parse_int(text, german=True) for text in ("1.234", "3,00", "5-")] == [1234, 3, -5]
    with pytest.raises(ValueError, match="not a whole number"):
        parse_int("3,5", german=True)


def test_german_excel_file_in_windows_1252_is_read() -> None:
    # Given a file as German Excel saves it: cp1252, ';', decimal comma, dd.mm.yyyy, CRLF
    content = excel_csv(
        "name;amount;day;count\nMünchen;1.234,50;15.03.2026;1.000\nKöln;-0,99;01.04.2026;\n"
    )
    # When it is read
    parsed = read_things(content)
    # Then every row is there with its line number, umlauts intact
    assert as_tuples(parsed) == [
        (2, "München", Decimal("1234.50"), dt.date(2026, 3, 15), 1000),
        (3, "Köln", Decimal("-0.99"), dt.date(2026, 4, 1), None),
    ]
    assert (parsed.encoding, parsed.delimiter, parsed.row_count) == ("windows-1252", ";", 2)
    assert parsed.problems.items == []
    assert parsed.warnings.items == []


def test_utf8_file_with_byte_order_mark_is_read_and_the_mark_is_not_part_of_the_header() -> None:
    parsed = read_things(excel_utf8_csv("name;amount;day\nMünchen;1,5;15.03.2026\n"))
    assert as_tuples(parsed) == [(2, "München", Decimal("1.5"), dt.date(2026, 3, 15), None)]
    assert (parsed.encoding, parsed.problems.items) == ("utf-8 (BOM)", [])


def test_plain_utf8_comma_file_with_iso_values_is_read() -> None:
    parsed = read_things("name,amount,day\nZürich,1234.50,2026-03-15\n".encode())
    assert as_tuples(parsed) == [(2, "Zürich", Decimal("1234.50"), dt.date(2026, 3, 15), None)]
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ",")


def test_header_names_are_trimmed_and_lower_cased() -> None:
    parsed = read_things(b" Name ;AMOUNT; Day\nx;1;2026-01-01\n")
    assert as_tuples(parsed) == [(2, "x", Decimal("1"), dt.date(2026, 1, 1), None)]


def test_a_missing_required_column_rejects_the_file_before_any_row_is_read() -> None:
    parsed = read_things(b"name;day\nx;01.01.2026\n")
    assert messages(parsed.problems) == [
        "things.csv:1: amount: required column is missing from the header"
    ]
    assert parsed.rows == []


def test_an_unknown_column_is_ignored_with_a_warning() -> None:
    parsed = read_things(b"name;fax;amount;day\nx;0891234;1;01.01.2026\n")
    assert messages(parsed.warnings) == ["things.csv:1: fax: unknown column; ignored"]
    assert as_tuples(parsed) == [(2, "x", Decimal("1"), dt.date(2026, 1, 1), None)]
    assert parsed.problems.items == []


def test_a_column_named_twice_is_a_problem() -> None:
    parsed = read_things(b"name;amount;day;amount\nx;1;01.01.2026;2\n")
    assert messages(parsed.problems) == [
        "things.csv:1: amount: the column appears twice in the header"
    ]


def test_blank_rows_are_skipped_and_line_numbers_count_every_physical_line() -> None:
    # Given blank lines, an Excel ';;;' line and a quoted value spanning two lines
    content = (
        b'name;amount;day\n\nx;1;01.01.2026\n;;;\n"two\nlines";2;02.01.2026\ny;bad;03.01.2026\n'
    )
    # When it is read
    parsed = read_things(content)
    # Then each row carries the line it starts on, and the bad cell names line 7
    assert as_tuples(parsed) == [
        (3, "x", Decimal("1"), dt.date(2026, 1, 1), None),
        (5, "two\nlines", Decimal("2"), dt.date(2026, 1, 2), None),
    ]
    assert parsed.row_count == 3
    assert messages(parsed.problems) == [
        "things.csv:7: amount: 'bad' is not a number (write e.g. 1.234,50 or 1234.50)"
    ]


def test_every_invalid_cell_of_every_row_is_reported() -> None:
    content = b"name;amount;day;count\n;1;32.01.2026;x\nelevenchars;1,234;01.01.2026;1,5\n"
    parsed = read_things(content)
    assert messages(parsed.problems) == [
        "things.csv:2: name: a value is required",
        "things.csv:2: day: '32.01.2026' is not a valid calendar date",
        "things.csv:2: count: 'x' is not a number (write e.g. 1.234,50 or 1234.50)",
        "things.csv:3: name: String should have at most 10 characters (found 'elevenchars')",
        "things.csv:3: count: '1,5' is not a whole number",
    ]
    assert parsed.rows == []


def test_a_row_with_more_values_than_the_header_is_a_problem_but_trailing_empties_are_not() -> None:
    parsed = read_things(b"name;amount;day\nx;1;01.01.2026;;\ny;2;02.01.2026;surplus\n")
    assert [row.line for row in parsed.rows] == [2]
    assert messages(parsed.problems) == [
        "things.csv:3: has 4 values but the header names 3 columns"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "things.csv:1: no header line; expected: name, amount, day, count"),
        (
            b"PK\x03\x04\x14\x00rest",
            # Read as the workbook it claims to be (docs/imports.md, "Excel workbooks").
            "things.csv: not a readable .xlsx workbook (File is not a zip file)",
        ),
        (
            "name;amount;day\n".encode("utf-16"),
            "things.csv:1: the file is UTF-16 text; save it as CSV (UTF-8 or ANSI)",
        ),
    ],
)
def test_files_that_are_not_csv_text_say_what_they_are(content: bytes, message: str) -> None:
    assert messages(read_things(content).problems) == [message]


def test_a_file_that_mixes_encodings_is_a_problem() -> None:
    content = "name;amount;day\nMünchen;1;01.01.2026\n".encode() + "Köln;2;02.01.2026\n".encode(
        "cp1252"
    )
    parsed = read_things(content)
    assert messages(parsed.problems) == [
        "things.csv:3: byte 0xf6 at byte offset 39 cannot be read as utf-8: "
        "line 2 was UTF-8; the file mixes encodings"
    ]


def test_broken_quoting_stops_reading_with_a_problem_on_its_line() -> None:
    parsed = read_things(b'name;amount;day\nx;1;01.01.2026\n"y"z;2;02.01.2026\n')
    assert messages(parsed.problems) == [
        "things.csv:3: not readable as CSV: ';' expected after '\"'"
    ]


def test_progress_is_reported_by_bytes_read_up_to_the_total() -> None:
    # Given a file of about 1.5 MB
    content = b"name;amount;day\n" + b"x;1,00;01.01.2026\n" * 80_000
    seen: list[ImportProgress] = []
    # When it is read with a progress callback
    read_csv_rows(
        row_model=Thing,
        source=content.splitlines(keepends=True),
        file_name="big.csv",
        total_bytes=len(content),
        progress=seen.append,
    )
    # Then the callback heard a few times (not once per line), rising to the whole file, with
    # the rows read so far
    assert 5 <= len(seen) <= 10
    assert [item.done for item in seen] == sorted(item.done for item in seen)
    assert [item.rows for item in seen] == sorted(item.rows for item in seen)
    assert seen[-1] == ImportProgress(ImportStage.READING, len(content), len(content), 80_000)


def test_a_problem_reads_file_row_column_reason() -> None:
    assert str(ImportProblem("a.csv", 3, "vat_id", "bad")) == "a.csv:3: vat_id: bad"
    assert str(ImportProblem("a.csv", 3, None, "bad")) == "a.csv:3: bad"
    assert ImportProblem("a.csv", 3, "sku", "bad").as_dict() == {
        "file": "a.csv",
        "row": 3,
        "column": "sku",
        "message": "bad",
    }


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("a\x00b", "U+0000"),
        ("x\tz", "U+0009"),
        ("\x1b[31m", "U+001B"),
        ("a\x7f", "U+007F"),
        ("\u202egnp.exe", "U+202E"),
    ],
)
def test_a_control_character_in_any_cell_is_a_problem_with_its_line_and_column(
    cell: str, code: str
) -> None:
    # Given a UTF-8 file with a control character in a known and in an ignored column
    content = f"name;amount;day;note\nok;1;01.01.2026;{cell}\n{cell};2;02.01.2026;\n".encode()

    # When it is read
    parsed = read_things(content)

    # Then both cells are problems, the row with the bad known cell is not kept
    assert messages(parsed.problems) == [
        f"things.csv:2: note: contains the control character {code}; remove it",
        f"things.csv:3: name: contains the control character {code}; remove it",
    ]
    assert parsed.rows == []


def test_a_line_break_inside_a_quoted_cell_is_not_a_control_character() -> None:
    parsed = read_things(b'name;amount;day\n"two\r\nlines";1;01.01.2026\n')

    assert messages(parsed.problems) == []
    assert as_tuples(parsed) == [(2, "two\r\nlines", Decimal("1"), dt.date(2026, 1, 1), None)]


def test_a_control_character_in_the_header_is_a_problem() -> None:
    parsed = read_things(b"name;amount;day;\x00x\nok;1;01.01.2026;\n")

    assert messages(parsed.problems) == [
        "things.csv:1: column 4: contains the control character U+0000; remove it"
    ]
    assert parsed.rows == []


def test_invalid_utf8_after_a_byte_order_mark_is_refused_with_its_byte_offset() -> None:
    # Given a file that says it is UTF-8 (BOM) but has a Windows-1252 "ö" on line 3
    content = excel_utf8_csv("name;amount;day\nx;1;01.01.2026\n") + "Köln;2;02.01.2026\n".encode(
        "cp1252"
    )

    parsed = read_things(content)

    # Then it is refused, not silently read as Windows-1252: byte, offset in the file, reason
    assert messages(parsed.problems) == [
        "things.csv:3: byte 0xf6 at byte offset 37 cannot be read as utf-8 (BOM): "
        "the file starts with a UTF-8 byte order mark"
    ]
    assert parsed.encoding == "utf-8 (BOM)"


def test_a_byte_that_is_no_windows_1252_character_is_refused() -> None:
    parsed = read_things(b"name;amount;day\nK\xf6ln;1;01.01.2026\nx\x81;2;02.01.2026\n")

    assert messages(parsed.problems) == [
        "things.csv:3: byte 0x81 at byte offset 35 cannot be read as windows-1252: "
        "line 2 was not UTF-8, and Windows-1252 has no such character"
    ]


def test_an_amount_beyond_the_decimal_precision_is_a_row_problem_not_a_crash() -> None:
    class Priced(ImportRow):
        price: Annotated[Money, Field(max_digits=14)]

    parsed = read_csv_rows(
        row_model=Priced,
        source=iter([b"price\n", b'"999999999999999999999999999,99"\n']),
        file_name="prices.csv",
    )

    assert messages(parsed.problems) == [
        "prices.csv:2: price: Decimal input should have no more than 14 digits in total "
        "(found '999999999999999999999999999,99')"
    ]
