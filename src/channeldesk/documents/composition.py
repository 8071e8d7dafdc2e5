"""Letters from templates: the wording lives in template files, the data in a plain dict.

A letter template is a pair of Django text templates, `<template>.de.txt` and
`<template>.en.txt`, each with four blocks: `subject`, `salutation`, `body` and `closing`. Each
block is rendered on its own with the context and the letter's language active, so the
`letter_format` filters (`long_date`, `money`, `percent`, `number`) write for the recipient.
In `body`, a blank line starts a new paragraph and a single line break is kept as one.

The domain that sends a kind of letter registers its template with `letter_template_register`
from its `AppConfig.ready()` (the contracts the renewal letter, the usage its statements, the
tiers their notices): the kind it is filed under, its text files, and which context keys it
needs of which type. Documents never import those domains; they look the kind up here. A
missing, unknown or mistyped key is refused with a sentence, so a change on the caller's side
cannot quietly print an empty field into thousands of letters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine
from django.template.loader_tags import BlockNode
from django.utils import translation

from channeldesk.documents.letters import InformationBlock, Letter, LetterError, check_language

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class LetterTemplate:
    """A registered kind of letter: its text files and the context they read.

    `kind` is also the `Document.kind` the letter is archived under. The files are
    `<template>.de.txt` and `<template>.en.txt` in some app's `templates/` directory (by
    convention `<app>/letters/<kind>`); `fields` are the context keys with their types, of which
    those in `optional` may be left out.
    """

    kind: str
    template: str
    fields: Mapping[str, type]
    optional: frozenset[str]

    def file_name(self, language: str) -> str:
        return f"{self.template}.{language}.txt"


# Letter kind -> its template; filled by the domains' `AppConfig.ready()`.
LETTER_TEMPLATES: dict[str, LetterTemplate] = {}


class LetterTemplateConflict(ImproperlyConfigured):
    """Two registrations of one letter kind differ: the start stops rather than let one of them
    quietly write the other's letters."""


@dataclass(frozen=True)
class LetterText:
    """What a template says for one context, before it goes to an address: the letter's text,
    which an e-mail that carries the letter may repeat."""

    language: str
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str

    def as_email(self, signature: str) -> str:
        """The text as an e-mail body: salutation, paragraphs, closing over the signature."""
        return "\n\n".join((self.salutation, *self.paragraphs, self.closing + "\n" + signature))


def letter_template_register(
    *, kind: str, template: str, fields: Mapping[str, type], optional: Collection[str] = ()
) -> None:
    """Register the template of a kind of letter (call it from `AppConfig.ready()`).

    Registering the same template again (a second `ready()` in tests) changes nothing; another
    template or context under a kind already taken raises `LetterTemplateConflict`, so two
    domains can never silently share one kind (and so one archive kind) of letter.
    """
    registered = LetterTemplate(
        kind=kind, template=template, fields=dict(fields), optional=frozenset(optional)
    )
    existing = LETTER_TEMPLATES.get(kind)
    if existing is not None and existing != registered:
        raise LetterTemplateConflict(_conflict(existing, registered))
    LETTER_TEMPLATES[kind] = registered


def _conflict(existing: LetterTemplate, other: LetterTemplate) -> str:
    if existing.template != other.template:
        difference = f"template '{existing.template}', not '{other.template}'"
    else:
        difference = f"template '{existing.template}' with another context"
    return (
        f"The letter kind '{existing.kind}' is already registered with the {difference}. "
        "Each kind has one template: register another letter under a kind of its own."
    )


def letter_template(*, kind: str) -> LetterTemplate:
    """The registered template of a kind of letter; `LetterError` when nobody registered it."""
    registered = LETTER_TEMPLATES.get(kind)
    if registered is None:
        raise LetterError(f"There is no letter template '{kind}'.")
    return registered


def letter_text(*, template: str, language: str, context: Mapping[str, object]) -> LetterText:
    """The subject, salutation, paragraphs and closing of the registered template `template`
    (a letter kind), filled with `context` in `language`."""
    check_language(language)
    registered = letter_template(kind=template)
    _check_context(registered, context)
    blocks = _render_blocks(registered.file_name(language), context, language)
    return LetterText(
        language=language,
        subject=_one_line(blocks.get("subject", "")),
        salutation=_one_line(blocks.get("salutation", "")),
        paragraphs=_paragraphs(blocks.get("body", "")),
        closing=_one_line(blocks.get("closing", "")),
    )


def letter_compose(
    *,
    template: str,
    language: str,
    recipient: Sequence[str],
    information: InformationBlock,
    context: Mapping[str, object],
    signature: str = "",
) -> Letter:
    """A `Letter` whose subject, salutation, paragraphs and closing come from the registered
    template of the kind `template` (`letter_text`)."""
    text = letter_text(template=template, language=language, context=context)
    return Letter(
        language=language,
        recipient=tuple(recipient),
        information=information,
        subject=text.subject,
        salutation=text.salutation,
        paragraphs=text.paragraphs,
        closing=text.closing,
        signature=signature,
    )


def _check_context(spec: LetterTemplate, context: Mapping[str, object]) -> None:
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
        raise LetterError(f"The '{spec.kind}' letter cannot be filled ({'; '.join(problems)}).")


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
