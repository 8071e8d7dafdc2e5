"""What `channeldesk backup check` looks at after a restore (docs/backups.md): does the copy
hold together — the database, the documents and the licence keys restored from the same backup?

1. Keys: the licence keys are where the settings say. With the key file (no keys in the
   environment) the file must already exist: the first use would otherwise create new random
   keys, and every keycode and certificate in the field would stop matching. Checked before
   anything loads the keys, so the check itself never creates them.
2. Statements: each statement's lines add up to its list and net totals, to the cent.
3. Keycodes: every keycode's key id has its secret, and its code text verifies.
4. Certificates: every certificate signed with the current signing key verifies, and says what
   its row says (the signing key is the one restored, not a new one).
5. Documents: every archived letter is in the storage, byte for byte as stored (size and
   SHA-256), and reads as a PDF with the pages recorded.

A reporting module of the command-line face: it reads the domains and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Sum

from channeldesk.documents.models import Document
from channeldesk.documents.selectors import document_problem, storage_description
from channeldesk.licensing.certificates import TokenInvalid, token_verify
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import Keycode, LicenceCertificate
from channeldesk.licensing.services import keycode_text, keycode_verify_format
from channeldesk.usage.models import Statement

CENT = Decimal("0.01")
# A restore with thousands of problems needs the first few to start with, not all of them.
PROBLEMS_SHOWN = 20


@dataclass
class CheckResult:
    """One check: what was looked at, a figure to compare with the source, and the problems."""

    name: str
    checked: int = 0
    figure: str = ""
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, sentence: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(sentence)


@dataclass(frozen=True)
class RestoreCheckResult:
    checks: list[CheckResult]

    @property
    def intact(self) -> bool:
        return not any(check.problem_count for check in self.checks)


def restore_check() -> RestoreCheckResult:
    """Run the checks of the module docstring; the keys first, and nothing else without them."""
    keys = keys_check()
    if keys.problem_count:
        return RestoreCheckResult(checks=[keys])
    checks: list[Callable[[], CheckResult]] = [
        statements_check,
        keycodes_check,
        certificates_check,
        documents_check,
    ]
    return RestoreCheckResult(checks=[keys, *(check() for check in checks)])


def keys_check() -> CheckResult:
    result = CheckResult(name="keys")
    from_environment = bool(settings.LICENSING_KEYCODE_KEYS and settings.LICENSING_SIGNING_KEY)
    if not from_environment and not Path(settings.LICENSING_KEY_FILE).is_file():
        if not (Keycode.objects.exists() or LicenceCertificate.objects.exists()):
            result.figure = "no key file yet: no keycode or certificate was issued"
            return result
        result.problem(
            f"The licence key file {settings.LICENSING_KEY_FILE} is missing: restore it (or set "
            "LICENSING_KEYCODE_KEYS and LICENSING_SIGNING_KEY) before ChannelDesk starts, or "
            "new keys are made and no keycode or certificate in the field matches them."
        )
        return result
    material = key_material()
    result.checked = len(material.keycode_secrets) + 1
    result.figure = (
        f"from {material.source}; keycode key ids "
        f"{', '.join(str(key_id) for key_id in sorted(material.keycode_secrets))}; signing key "
        f"{material.signing_key_id} ({material.public_key_base64})"
    )
    return result


def statements_check() -> CheckResult:
    result = CheckResult(name="statements")
    net_sum = Decimal(0)
    statements = Statement.objects.annotate(
        lines_list=Sum("lines__list_amount"), lines_net=Sum("lines__net_amount")
    ).order_by("pk")
    for statement in statements.iterator(chunk_size=500):
        result.checked += 1
        net_sum += statement.net_total
        for label, total, lines in (
            ("list", statement.list_total, statement.lines_list),
            ("net", statement.net_total, statement.lines_net),
        ):
            if _cents(lines) != _cents(total):
                result.problem(
                    f"Statement {statement.number}: the lines add up to {_cents(lines)} EUR "
                    f"{label}, the statement says {_cents(total)} EUR."
                )
    result.figure = f"net total of all statements {_cents(net_sum)} EUR"
    return result


def keycodes_check() -> CheckResult:
    result = CheckResult(name="keycodes")
    if not Keycode.objects.exists():
        return result  # loading the keys would make a key file
    secrets = key_material().keycode_secrets
    for keycode in Keycode.objects.order_by("pk").iterator(chunk_size=500):
        result.checked += 1
        if keycode.key_id not in secrets:
            result.problem(
                f"Keycode {keycode.key_id}-{keycode.serial}: the secret of key id "
                f"{keycode.key_id} is not configured."
            )
            continue
        verdict = keycode_verify_format(keycode_text(keycode=keycode))
        if isinstance(verdict, str):
            result.problem(f"Keycode {keycode.key_id}-{keycode.serial} does not verify: {verdict}.")
    return result


def certificates_check() -> CheckResult:
    result = CheckResult(name="certificates")
    if not LicenceCertificate.objects.exists():
        return result  # loading the keys would make a key file
    material = key_material()
    other_keys = 0
    for certificate in LicenceCertificate.objects.order_by("pk").iterator(chunk_size=500):
        if certificate.signing_key_id != material.signing_key_id:
            other_keys += 1
            continue
        result.checked += 1
        try:
            content = token_verify(certificate.token, public_key=material.public_key_base64)
        except TokenInvalid as error:
            result.problem(f"Certificate {certificate.pk} does not verify: {error}.")
            continue
        if content != certificate.body:
            result.problem(f"Certificate {certificate.pk}: the token says other than the row.")
    if other_keys:
        result.figure = f"{other_keys} signed with earlier keys, not checked"
    return result


def documents_check() -> CheckResult:
    result = CheckResult(name="documents", figure=storage_description())
    for document in Document.objects.order_by("pk").iterator(chunk_size=200):
        result.checked += 1
        if problem := document_problem(document=document):
            result.problem(problem)
    return result


def _cents(amount: Decimal | None) -> Decimal:
    return Decimal(amount or 0).quantize(CENT)
