"""HTML and CSS to PDF with WeasyPrint, in fonts shipped with ChannelDesk.

The fonts come from this package's `fonts/` directory through `@font-face` rules with `file:`
URLs, under a family name no system has ("ChannelDesk Sans"), so a letter never silently picks
up whatever sans-serif the machine happens to have: the same letter is laid out the same way
everywhere.

WeasyPrint's font configuration and the parsed stylesheets are built once per thread and reused.
Loading the fonts and parsing the CSS for every letter would cost about as much as laying the
letter out; the objects are not shared between threads because Pango's font map is not
thread-safe.

WeasyPrint and fontTools are imported inside the functions that use them: importing WeasyPrint
costs over a second, and this module is reached at start-up through the admin modules, so every
`channeldesk` command would otherwise pay for it (benchmarks/cli_start.py measures the start).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIRECTORY = Path(__file__).resolve().parent
FONTS_DIRECTORY = PACKAGE_DIRECTORY / "fonts"
STYLESHEET = PACKAGE_DIRECTORY / "templates" / "documents" / "letter.css"
FONT_FAMILY = "ChannelDesk Sans"
# CSS font weight -> file in FONTS_DIRECTORY.
FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
MILLIMETRES_PER_POINT = 25.4 / 72
# The address lines' room in the window and their type sizes; they must match `.address-field`,
# `.recipient` and `.return-line` in letter.css.
ADDRESS_TEXT_WIDTH_MM = 80.0
RECIPIENT_FONT_SIZE_PT = 10.0
RETURN_LINE_FONT_SIZE_PT = 7.0


@dataclass(frozen=True)
class RenderedPdf:
    """A finished PDF and what the archive records about it."""

    pdf: bytes
    page_count: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True)
class _Toolkit:
    font_config: Any
    stylesheets: list[Any]
    url_fetcher: Any


_per_thread = threading.local()


def font_face_css() -> str:
    """`@font-face` rules that load the shipped fonts from the package directory."""
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("{(FONTS_DIRECTORY / filename).as_uri()}"); }}'
        for weight, filename in FONT_FILES.items()
    )


def css_string(text: str) -> str:
    """`text` as a quoted CSS string; every character but letters, digits and spaces escaped.

    Used for the texts the letter puts into page margin boxes, so no letterhead name can end
    the string or the style element it is written into.
    """
    escaped = "".join(
        character if character.isalnum() or character == " " else f"\\{ord(character):06x}"
        for character in text
    )
    return f'"{escaped}"'


def text_width_mm(text: str, *, size_pt: float) -> float:
    """How wide `text` is set in the regular shipped font, in millimetres.

    Kerning is left out, which errs on the wide side: a line that passes this check fits. A
    character the font lacks counts as one em.
    """
    advances, units_per_em = _advance_widths()
    units = sum(advances.get(ord(character), units_per_em) for character in text)
    return units / units_per_em * size_pt * MILLIMETRES_PER_POINT


@functools.cache
def _advance_widths() -> tuple[dict[int, int], int]:
    from fontTools.ttLib import TTFont  # noqa: PLC0415 (start-up cost, see above)

    font = TTFont(FONTS_DIRECTORY / FONT_FILES["normal"], lazy=True)
    metrics = font["hmtx"].metrics
    advances = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
    return advances, int(font["head"].unitsPerEm)


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out `html` with the letter stylesheet and write it as PDF."""
    from weasyprint import HTML  # noqa: PLC0415 (start-up cost, see above)

    toolkit = _toolkit()
    document = HTML(
        string=html, base_url=PACKAGE_DIRECTORY.as_uri() + "/", url_fetcher=toolkit.url_fetcher
    ).render(stylesheets=toolkit.stylesheets, font_config=toolkit.font_config)
    return RenderedPdf(pdf=document.write_pdf(), page_count=len(document.pages))


class _OncePerProcess(logging.Filter):
    """Lets WeasyPrint's warning about the missing HarfBuzz subsetter through once.

    WeasyPrint repeats it for every font of every document; it describes the machine, not the
    letter, and a print run would otherwise log it thousands of times.
    """

    prefix = "Using fontTools instead of HarfBuzz-Subset"

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        message = record.getMessage()
        first = message not in self._seen
        self._seen.add(message)
        return first


logging.getLogger("weasyprint").addFilter(_OncePerProcess())


def _toolkit() -> _Toolkit:
    toolkit: _Toolkit | None = getattr(_per_thread, "toolkit", None)
    if toolkit is None:
        from weasyprint import CSS  # noqa: PLC0415 (start-up cost, see above)
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415
        from weasyprint.urls import URLFetcher  # noqa: PLC0415

        # Letters read only the package's own files: nothing is fetched from the network, and
        # one fetcher saves WeasyPrint building an HTTPS context for every letter.
        url_fetcher = URLFetcher(allowed_protocols={"file"})
        font_config = FontConfiguration()
        stylesheets = [
            CSS(string=font_face_css(), font_config=font_config, url_fetcher=url_fetcher),
            CSS(filename=str(STYLESHEET), font_config=font_config, url_fetcher=url_fetcher),
        ]
        toolkit = _per_thread.toolkit = _Toolkit(
            font_config=font_config, stylesheets=stylesheets, url_fetcher=url_fetcher
        )
        if threading.current_thread() is threading.main_thread():
            atexit.register(_toolkit_release)
    return toolkit


def _toolkit_release() -> None:
    """Drop the main thread's toolkit while WeasyPrint is still loaded.

    Its font configuration removes a temporary directory when it is freed; left to the end of
    the interpreter, that happens after WeasyPrint's modules are gone (they are imported after
    this one) and fails with a warning.
    """
    _per_thread.__dict__.pop("toolkit", None)
