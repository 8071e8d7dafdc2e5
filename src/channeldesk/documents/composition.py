"""Letters from templates: the wording lives in template files, the data in a plain dict.

A letter template is a pair of Django text templates, `documents/letters/<name>.de.txt` and
`<name>.en.txt`, each with four blocks: `subject`, `salutation`, `body` and `closing`. Each
block is rendered on its own with the context and the letter's language active, so the
`letter_format` filters (`long_date`, `money`, `percent`, `number`) write for the recipient.
In `body`, a blank line starts a new paragraph and a single line break is kept as one.

`LETTER_TEMPLATES` says which context keys a template needs and of which type. A missing,
unknown or mistyped key is refused with a sentence, so a change on the caller's side cannot
quietly print an empty field into thousands of letters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from django.template import Context, Engine
from django.template.loader_tags import BlockNode
from django.utils import translation

from channeldesk.documents.letters import InformationBlock, Letter, LetterError, check_language

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class LetterTemplate:
    """The context a letter template reads: required keys with their types, optional keys."""

    fields: Mapping[str, type]
    optional: frozenset[str] = field(default_factory=frozenset)


LETTER_TEMPLATES: dict[str, LetterTemplate] = {
    # The renewal reminder to an end customer, 45 days before the contract ends.
    "renewal": LetterTemplate(
        fields={
            "contract_number": str,
            "product": str,
            "seats": int,
            "end_date": dt.date,
            "partner_name": str,
            "partner_phone": str,
            "partner_email": str,
            "contact_name": str,
            # Sent after its due date (a catch-up after downtime): the letter says it is late
            # and how many days are left, instead of "in good time".
            "sent_late": bool,
            "days_left": int,
        },
        optional=frozenset({"contact_name", "sent_late", "days_left"}),
    ),
}


def letter_compose(
    *,
    template: str,
    language: str,
    recipient: Sequence[str],
    information: InformationBlock,
    context: Mapping[str, object],
    signature: str = "",
) -> Letter:
    """A `Letter` whose subject, salutation, paragraphs and closing come from `template`."""
    check_language(language)
    _check_context(template, context)
    blocks = _render_blocks(f"documents/letters/{template}.{language}.txt", context, language)
    return Letter(
        language=language,
        recipient=tuple(recipient),
        information=information,
        subject=_one_line(blocks.get("subject", "")),
        salutation=_one_line(blocks.get("salutation", "")),
        paragraphs=_paragraphs(blocks.get("body", "")),
        closing=_one_line(blocks.get("closing", "")),
        signature=signature,
    )


def _check_context(template: str, context: Mapping[str, object]) -> None:
    spec = LETTER_TEMPLATES.get(template)
    if spec is None:
        raise LetterError(f"There is no letter template '{template}'.")
    missing = sorted(set(spec.fields) - spec.optional - set(context))
    unknown = sorted(set(context) - set(spec.fields))
    mistyped = sorted(
        key
        for key, value in context.items()
        if key in spec.fields and not _is_instance(value, spec.fields[key])
    )
    problems = [
        f"{label}: {', '.join(keys)}"
        for label, keys in (("missing", missing), ("unknown", unknown), ("wrong type", mistyped))
        if keys
    ]
    if problems:
        raise LetterError(f"The '{template}' letter cannot be filled ({'; '.join(problems)}).")


def _is_instance(value: object, expected: type) -> bool:
    # A datetime is a date to isinstance, but a letter names a day, not an instant.
    if expected is dt.date and isinstance(value, dt.datetime):
        return False
    # bool is an int to isinstance; "True seats" is a caller's mistake.
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


def _render_blocks(name: str, values: Mapping[str, object], language: str) -> dict[str, str]:
    template = Engine.get_default().get_template(name)
    context = Context(dict(values), autoescape=False)
    blocks = cast(list[BlockNode], template.nodelist.get_nodes_by_type(BlockNode))
    with (
        translation.override(language),
        context.render_context.push_state(template),
        context.bind_template(template),
    ):
        return {block.name: block.render(context) for block in blocks}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> tuple[str, ...]:
    paragraphs = (
        "\n".join(line.strip() for line in part.strip().splitlines())
        for part in _PARAGRAPH_BREAK.split(text)
    )
    return tuple(paragraph for paragraph in paragraphs if paragraph)
