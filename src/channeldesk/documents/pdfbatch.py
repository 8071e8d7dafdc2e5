"""Concatenate stored letters into one PDF, one letter in memory at a time.

The print batch must contain the archived letters byte for byte (page content, fonts, images),
so the pages are copied, not rendered again. No PDF library is a runtime dependency of
ChannelDesk, and the PDFs to join all come from WeasyPrint, whose writer (pydyf) produces one
regular shape: stream objects at offsets, every other object packed in one object stream,
and a cross-reference stream at the end. This module reads exactly that shape and refuses
anything else (`UnsupportedPdf`), rather than guessing at PDFs it was not written for.

How a letter is added:

1. Find the cross-reference stream through `startxref` and read where each object lives.
2. Collect the page objects (the catalogue's page tree) and everything they refer to,
   except their `/Parent`, which is the letter's own page tree.
3. Give those objects new numbers after the ones already written, rewrite the references in
   their dictionaries (never inside strings, never in stream data), point each page's
   `/Parent` at the batch's page tree and write them out.

`close` then writes the page tree, the catalogue and a classic cross-reference table.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

# pydyf writes this comment as the second line of every PDF (a black heart in UTF-8).
PYDYF_MARKER = b"%\xf0\x9f\x96\xa4"
PAGES_NUMBER = 1
CATALOG_NUMBER = 2

# Literal strings need no nesting rule: pydyf escapes every parenthesis inside a string.
_STRING = rb"\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>"
_TOKENS = re.compile(
    rb"(?P<string>" + _STRING + rb")"
    rb"|(?P<parent>/Parent\s+\d+\s+\d+\s+R\b)"
    rb"|(?<![\w.])(?P<number>\d+)\s+\d+\s+R\b"
    rb"|(?<=[\s>\]])(?P<keyword>stream(?:\r\n|\n)|endobj\b)",
    re.DOTALL,
)
_STRINGS = re.compile(_STRING, re.DOTALL)
_OBJECT_START = re.compile(rb"\d+\s+\d+\s+obj\b")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


class UnsupportedPdf(ValueError):
    """A PDF this module cannot join: not written by WeasyPrint, or damaged."""


class EmptyPrintBatch(ValueError):
    """A batch was closed without a single letter in it."""


@dataclass(frozen=True)
class PdfBatchResult:
    pages: int
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class _Object:
    """An object's dictionary (or other value) and, for a stream, its still-encoded data."""

    head: bytes
    stream: bytes | None = None


class _SourcePdf:
    """One WeasyPrint PDF, read just far enough to copy its pages."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"%PDF-") or data.split(b"\n", 2)[1:2] != [PYDYF_MARKER]:
            raise UnsupportedPdf("Only PDFs written by WeasyPrint can be joined.")
        self._data = data
        self._packed: dict[int, dict[int, bytes]] = {}
        match = _STARTXREF.search(data[-64:])
        if match is None:
            raise UnsupportedPdf("The PDF has no cross-reference position at its end.")
        self._locations, self._root = self._read_xref(self._object_at(int(match.group(1))))

    def object(self, number: int) -> _Object:
        location = self._locations.get(number)
        if location is None:
            raise UnsupportedPdf(f"Object {number} is referred to but missing.")
        container, position = location
        if container == 0:
            return self._object_at(position)
        packed = self._packed_objects(container)
        if number not in packed:
            raise UnsupportedPdf(f"Object {number} is missing from its object stream.")
        return _Object(head=packed[number])

    def pages(self) -> list[int]:
        """The page objects in reading order, descending through nested page trees."""
        catalog = self.object(self._root).head
        return self._kids(_reference(catalog, b"Pages"))

    def _kids(self, number: int) -> list[int]:
        head = self.object(number).head
        if _name(head, b"Type") != b"Pages":
            return [number]
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", head)
        if kids is None:
            raise UnsupportedPdf(f"Page tree node {number} has no /Kids.")
        numbers = [int(kid) for kid in re.findall(rb"(\d+)\s+\d+\s+R", kids.group(1))]
        return [page for kid in numbers for page in self._kids(kid)]

    def _object_at(self, offset: int) -> _Object:
        start = _OBJECT_START.match(self._data, offset)
        if start is None:
            raise UnsupportedPdf(f"No object starts at offset {offset}.")
        for token in _TOKENS.finditer(self._data, start.end()):
            keyword = token.group("keyword")
            if keyword is None:
                continue
            head = self._data[start.end() : token.start()].strip()
            if keyword.startswith(b"endobj"):
                return _Object(head=head)
            length = _integer(head, b"Length")
            return _Object(head=head, stream=self._data[token.end() : token.end() + length])
        raise UnsupportedPdf(f"The object at offset {offset} does not end.")

    def _read_xref(self, xref: _Object) -> tuple[dict[int, tuple[int, int]], int]:
        if _name(xref.head, b"Type") != b"XRef" or xref.stream is None:
            raise UnsupportedPdf("Only cross-reference streams are read, not tables.")
        widths = _integers(xref.head, b"W")
        index = _integers(xref.head, b"Index") or [0, _integer(xref.head, b"Size")]
        rows = _decoded(xref)
        locations: dict[int, tuple[int, int]] = {}
        for number, row in zip(_numbers(index), _rows(rows, widths), strict=True):
            kind, first, second = row
            if kind == 1:
                locations[number] = (0, first)
            elif kind == 2:
                locations[number] = (first, second)
        return locations, _reference(xref.head, b"Root")

    def _packed_objects(self, container: int) -> dict[int, bytes]:
        if container not in self._packed:
            stream = self.object(container)
            data = _decoded(stream)
            first = _integer(stream.head, b"First")
            pairs = [int(value) for value in data[:first].split()]
            numbers, offsets = pairs[0::2], [*pairs[1::2], len(data) - first]
            self._packed[container] = {
                number: data[first + offsets[i] : first + offsets[i + 1]].strip()
                for i, number in enumerate(numbers)
            }
        return self._packed[container]


class PdfBatchWriter:
    """Writes the pages of many WeasyPrint PDFs into one PDF on `target`, as they come."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self._position = 0
        self._offsets: dict[int, int] = {}
        self._kids: list[int] = []
        self._next_number = CATALOG_NUMBER + 1

    def add(self, pdf: bytes) -> int:
        """Append the pages of one PDF; returns how many pages it had."""
        source = _SourcePdf(pdf)
        pages = source.pages()
        objects = _reachable(source, pages)
        numbering = {old: self._next_number + i for i, old in enumerate(objects)}
        renumbered = [
            (new, _renumbered(objects[old], numbering, PAGES_NUMBER if old in pages else None))
            for old, new in numbering.items()
        ]
        # Nothing about this PDF can fail any more: only now does the batch change.
        self._next_number += len(objects)
        if not self._position:
            self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, item in renumbered:
            self._write_object(number, item)
        self._kids.extend(numbering[page] for page in pages)
        return len(pages)

    def close(self) -> PdfBatchResult:
        """Write the page tree, catalogue and cross-reference table that make the file a PDF."""
        if not self._kids:
            raise EmptyPrintBatch("A print batch needs at least one letter.")
        kids = b" ".join(b"%d 0 R" % kid for kid in self._kids)
        pages = b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(self._kids), kids)
        self._write_object(PAGES_NUMBER, _Object(head=pages))
        catalog = b"<</Type /Catalog /Pages %d 0 R>>" % PAGES_NUMBER
        self._write_object(CATALOG_NUMBER, _Object(head=catalog))
        self._write_xref()
        return PdfBatchResult(
            pages=len(self._kids), size_bytes=self._position, sha256=self._hash.hexdigest()
        )

    def _write_object(self, number: int, item: _Object) -> None:
        self._offsets[number] = self._position
        self._write(b"%d 0 obj\n%s\n" % (number, item.head))
        if item.stream is not None:
            self._write(b"stream\n%s\nendstream\n" % item.stream)
        self._write(b"endobj\n")

    def _write_xref(self) -> None:
        start = self._position
        size = self._next_number
        rows = [b"0000000000 65535 f \n"]
        rows += [b"%010d 00000 n \n" % self._offsets[number] for number in range(1, size)]
        self._write(b"xref\n0 %d\n%s" % (size, b"".join(rows)))
        trailer = b"trailer\n<</Size %d /Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
        self._write(trailer % (size, CATALOG_NUMBER, start))

    def _write(self, data: bytes) -> None:
        self._target.write(data)
        self._hash.update(data)
        self._position += len(data)


def _reachable(source: _SourcePdf, pages: list[int]) -> dict[int, _Object]:
    """The pages and every object they lead to, in a stable order; `/Parent` links excluded."""
    found: dict[int, _Object] = {}
    pending = list(pages)
    while pending:
        number = pending.pop()
        if number in found:
            continue
        found[number] = source.object(number)
        pending.extend(_references(found[number].head))
    return dict(sorted(found.items()))


def _references(head: bytes) -> Iterator[int]:
    for token in _TOKENS.finditer(head):
        if token.group("number") is not None:
            yield int(token.group("number"))


def _renumbered(item: _Object, numbering: Mapping[int, int], parent: int | None) -> _Object:
    def replace(token: re.Match[bytes]) -> bytes:
        if token.group("parent") is not None:
            if parent is None:
                raise UnsupportedPdf("Only pages may have a /Parent here.")
            return b"/Parent %d 0 R" % parent
        if token.group("number") is not None:
            return b"%d 0 R" % numbering[int(token.group("number"))]
        return token.group(0)

    return _Object(head=_TOKENS.sub(replace, item.head), stream=item.stream)


def _decoded(item: _Object) -> bytes:
    if item.stream is None or _name(item.head, b"Filter") not in (b"FlateDecode", None):
        raise UnsupportedPdf("Expected a stream without filter or with /FlateDecode.")
    if b"/DecodeParms" in item.head:
        raise UnsupportedPdf("Streams with decode parameters are not read.")
    if _name(item.head, b"Filter") is None:
        return item.stream
    try:
        return zlib.decompress(item.stream)
    except zlib.error as error:
        raise UnsupportedPdf(f"A compressed stream is damaged: {error}.") from error


def _rows(data: bytes, widths: list[int]) -> Iterator[tuple[int, int, int]]:
    if len(widths) != 3:
        raise UnsupportedPdf("A cross-reference stream has three fields per row.")
    bounds = [0, widths[0], widths[0] + widths[1], sum(widths)]
    for start in range(0, len(data) - bounds[3] + 1, bounds[3]):
        kind, first, second = (
            int.from_bytes(data[start + bounds[i] : start + bounds[i + 1]], "big") for i in range(3)
        )
        # A missing type field means 1 (an object at an offset), per the PDF standard.
        yield (kind if widths[0] else 1), first, second


def _numbers(index: list[int]) -> Iterator[int]:
    for first, count in zip(index[0::2], index[1::2], strict=True):
        yield from range(first, first + count)


def _plain(head: bytes) -> bytes:
    """The head with strings emptied, so a key inside a string is never taken for a key."""
    return _STRINGS.sub(b"()", head)


def _name(head: bytes, key: bytes) -> bytes | None:
    match = re.search(rb"/" + key + rb"\s*/([^\s/<>\[\]()]+)", _plain(head))
    return match.group(1) if match else None


def _integer(head: bytes, key: bytes) -> int:
    match = re.search(rb"/" + key + rb"\s+(\d+)(?!\d)(?!\s+\d+\s+R)", _plain(head))
    if match is None:
        raise UnsupportedPdf(f"/{key.decode()} is missing or not a direct number.")
    return int(match.group(1))


def _integers(head: bytes, key: bytes) -> list[int]:
    match = re.search(rb"/" + key + rb"\s*\[([\d\s]*)\]", _plain(head))
    return [int(value) for value in match.group(1).split()] if match else []


def _reference(head: bytes, key: bytes) -> int:
    match = re.search(rb"/" + key + rb"\s+(\d+)\s+\d+\s+R", _plain(head))
    if match is None:
        raise UnsupportedPdf(f"/{key.decode()} is not a reference.")
    return int(match.group(1))


def pdf_page_count(pdf: bytes) -> int:
    """The pages of a stored letter, read the way a print batch reads it (every object a page
    refers to, streams decoded): `UnsupportedPdf` when it would not go into a batch."""
    source = _SourcePdf(pdf)
    pages = source.pages()
    for item in _reachable(source, pages).values():
        if item.stream is not None and _name(item.head, b"Filter") == b"FlateDecode":
            _decoded(item)
    return len(pages)
