"""Back-office template filters that turn stored texts into the reader's language."""

from __future__ import annotations

from django import template
from django.utils import translation

from channeldesk.backoffice.calibration import CalibrationLine, calibration_lines
from channeldesk.backoffice.models import ProgrammeRun
from channeldesk.backoffice.reasons import reason_text

register = template.Library()


@register.filter(name="stored_reason")
def reason_text_filter(stored: str) -> str:
    """A reminder's reason or an e-mail's last error, translated when it is a known one."""
    return reason_text(stored or "")


@register.filter(name="calibration_lines")
def calibration_lines_filter(run: ProgrammeRun) -> list[CalibrationLine]:
    """A finished calibration's lines: tier names, criterion labels and local numbers."""
    return calibration_lines(run=run, language=translation.get_language() or "de")
