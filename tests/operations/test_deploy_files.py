"""deploy/ starts exactly the processes docs/deploy.md documents, with documented variables.

Docker cannot run here, so the container files are checked as text (YAML); the systemd units
go through `systemd-analyze verify`, and the example environment through
`channeldesk check --deploy` in a fresh process.
"""

from __future__ import annotations

import configparser
import os
import re
import runpy
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

from tests.operations.test_deploy_docs import DEPLOY_DOC, documented_rows

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
VENV_BIN = Path(sys.executable).parent
# How each long-running process is started (docs/deploy.md, "The processes"); `N` is a number.
PROCESS_OF_COMMAND = {
    "channeldesk web": "web",
    "channeldesk scheduler": "scheduler",
    "channeldesk worker --workers N": "worker",
    "channeldesk serve": "serve",
}
# Started once before the others, not kept running (docs/deploy.md, "First start").
ONE_OFF_COMMANDS = {"channeldesk migrate --noinput"}
UNIT_PROCESSES = {
    "channeldesk-web.service": "web",
    "channeldesk-scheduler.service": "scheduler",
    "channeldesk-worker@.service": "worker",
}
# What the image sets for itself, not ChannelDesk's configuration.
RUNTIME_VARIABLES = frozenset({"PATH", "PYTHONUNBUFFERED"})


def _generic(command: str) -> str:
    """`channeldesk worker --workers 2` → `channeldesk worker --workers N`."""
    return re.sub(r"(?<= )\d+\b", "N", command)


def documented_commands() -> set[str]:
    """The commands in the first column of docs/deploy.md's table of processes."""
    section = DEPLOY_DOC.read_text(encoding="utf-8").split("## The processes", 1)[1]
    table = section.split("\n\n", 2)[1]
    return {
        re.findall(r"`([^`]+)`", line.split("|")[2])[0]
        for line in table.splitlines()[2:]
        if line.startswith("|")
    }


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _app_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the ChannelDesk image."""
    return {
        name: service
        for name, service in _compose()["services"].items()
        if service.get("image", "").endswith("/channeldesk:latest")
    }


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    # systemd repeats keys (Environment=, LoadCredential=); keep the last, read all by hand.
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def _unit_lines(name: str, key: str) -> list[str]:
    prefix = f"{key}="
    return [
        line.removeprefix(prefix)
        for line in (UNITS / name).read_text(encoding="utf-8").splitlines()
        if line.startswith(prefix)
    ]


def _unit_environment(name: str) -> dict[str, str]:
    """The variables a unit's process gets: its env file's, then its own Environment= lines."""
    lines = [line for path in _unit_lines(name, "EnvironmentFile") for line in _example_lines(path)]
    lines += _unit_lines(name, "Environment")
    return {variable: value for variable, _, value in (line.partition("=") for line in lines)}


def _example_lines(path: str) -> list[str]:
    """The env file a unit reads is installed from deploy/channeldesk.env.example."""
    assert path == "/etc/channeldesk/channeldesk.env", path
    return [
        line
        for line in (DEPLOY / "channeldesk.env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]


def production_variables() -> set[str]:
    """The variables of the production block of docs/security-production.md."""
    marker = "<!-- production environment -->"
    text = (ROOT / "docs" / "security-production.md").read_text(encoding="utf-8")
    block = text.split(marker)[1]
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", block, flags=re.MULTILINE))


def _given(name: str, environment: dict[str, Any]) -> bool:
    return name in environment or f"{name}_FILE" in environment


def test_every_documented_command_exists() -> None:
    commands = get_commands()
    for command in documented_commands() | ONE_OFF_COMMANDS:
        name = command.split()[1]
        assert name in commands, f"docs/deploy.md names `{command}`, no such command"


def test_the_documented_process_set_is_the_one_expected() -> None:
    assert documented_commands() == set(PROCESS_OF_COMMAND)


def test_compose_starts_exactly_the_documented_processes() -> None:
    services = _app_services()
    started: dict[str, int] = {}
    for name, service in services.items():
        command = _generic(" ".join(service["command"]))
        if command in ONE_OFF_COMMANDS:
            assert service.get("restart") == "no", f"{name} runs once"
            continue
        assert command in PROCESS_OF_COMMAND, f"compose service {name}: undocumented `{command}`"
        process = PROCESS_OF_COMMAND[command]
        replicas = service.get("deploy", {}).get("replicas", 1)
        started[process] = started.get(process, 0) + replicas
        assert service["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, f"{name} starts after the migrations"
    assert started == {"web": 1, "scheduler": 1, "worker": 2}


def assert_documented_production_environment(
    name: str, environment: dict[str, str], rows: dict[str, str]
) -> None:
    """`environment` (of the process `name`) sets only variables documented in `rows`, every
    production variable, and never a variable together with its *_FILE."""
    undocumented = sorted(set(environment) - set(rows))
    assert not undocumented, f"{name}: undocumented {undocumented}"
    missing = sorted(v for v in production_variables() if not _given(v, environment))
    assert not missing, f"{name} lacks {missing}"
    both = sorted(v for v in environment if f"{v}_FILE" in environment)
    assert not both, f"{name} sets both {both} and their *_FILE"


def test_compose_sets_only_documented_variables_and_the_production_ones() -> None:
    rows = documented_rows()
    for name, service in _app_services().items():
        environment = service["environment"]
        assert_documented_production_environment(f"compose service {name}", environment, rows)
        for variable, path in environment.items():
            if variable.endswith("_FILE"):
                secret = Path(path).name
                assert secret in service["secrets"], f"{name}: {variable} names no secret"
    assert _app_services()["web"]["environment"]["BIND"] == "0.0.0.0:8000"


def test_compose_keeps_the_job_queue_across_a_redis_restart() -> None:
    command = _compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_the_units_start_exactly_the_documented_processes() -> None:
    assert {path.name for path in UNITS.glob("*.service")} == set(UNIT_PROCESSES)
    for name, process in UNIT_PROCESSES.items():
        (exec_start,) = _unit_lines(name, "ExecStart")
        program, *arguments = exec_start.split()
        assert program == "/opt/channeldesk/.venv/bin/channeldesk", name
        command = _generic(" ".join(["channeldesk", *arguments]))
        assert PROCESS_OF_COMMAND.get(command) == process, f"{name}: `{command}`"
        assert _unit(name)["Install"]["WantedBy"] == "channeldesk.target"
        assert _unit(name)["Unit"]["PartOf"] == "channeldesk.target"
        assert _unit(name)["Service"]["User"] == "channeldesk", "never as root"


def test_the_units_set_only_documented_variables_and_the_production_ones() -> None:
    rows = documented_rows()
    for name in UNIT_PROCESSES:
        environment = _unit_environment(name)
        assert_documented_production_environment(name, environment, rows)
        credentials = {line.split(":", 1)[0] for line in _unit_lines(name, "LoadCredential")}
        for variable, value in environment.items():
            if variable.endswith("_FILE"):
                assert value.removeprefix("%d/") in credentials, f"{name}: {variable}"


@pytest.mark.processes
@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian: systemd); the units are not verified",
)
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """`verify` also checks that ExecStart's program exists: the copies point at this
    checkout's `channeldesk` instead of /opt/channeldesk's. Any complaint fails the test
    (systemd-analyze exits 0 on unknown keys and only prints them)."""
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(
            "/opt/channeldesk/.venv/bin/channeldesk", str(VENV_BIN / "channeldesk")
        )
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = [
        "channeldesk-web.service",
        "channeldesk-scheduler.service",
        "channeldesk-worker@1.service",
        "channeldesk.target",
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_containerfile_installs_with_the_make_target_ci_uses_and_drops_root() -> None:
    containerfile = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    assert "RUN make .venv/.installed-base" in containerfile
    assert "$(VENV)/.installed-base:" in (ROOT / "Makefile").read_text(encoding="utf-8")
    users = re.findall(r"^USER (\S+)", containerfile, flags=re.MULTILINE)
    assert users, "the image names no user"
    assert users[-1] not in {"root", "0"}
    variables = set(re.findall(r"(?:ENV |^    )([A-Z][A-Z0-9_]*)=", containerfile, re.MULTILINE))
    assert "CHANNELDESK_VAR_DIR" in variables
    undocumented = sorted(variables - set(documented_rows()) - RUNTIME_VARIABLES)
    assert not undocumented, f"Containerfile sets undocumented {undocumented}"
    for source in re.findall(r"^COPY (.+) \S+$", containerfile, flags=re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Containerfile copies {path}, which is missing"


def test_deploy_gunicorn_conf_is_channeldesks_configuration() -> None:
    import channeldesk.gunicorn_conf as configuration

    exported = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    public = {name for name in vars(configuration) if not name.startswith("_")}
    assert public, "channeldesk.gunicorn_conf defines nothing"
    for name in public:
        assert exported[name] is getattr(configuration, name), name


def _made_up_secrets() -> dict[str, str]:
    """A value for every secret file the units and the compose file name."""
    return {
        "secret_key": secrets.token_urlsafe(50),
        "database_password": "database-password",
        "email_url": "smtp+tls://channeldesk:mail-password@mail.example.com:587",
        "licensing_keycode_keys": "1:" + "QUFB" * 11,
        "licensing_signing_key": "QUFB" * 10 + "QUE=",
    }


def _materialised(value: str, directory: Path, made_up: dict[str, str]) -> str:
    """A deployment's value made real in `directory`: a secret file (systemd's `%d/`, compose's
    `/run/secrets/`) is written there with a made-up value; `%t` (systemd's /run) is there."""
    for prefix in ("%d/", "/run/secrets/"):
        if value.startswith(prefix):
            path = directory / value.removeprefix(prefix)
            path.write_text(made_up[path.name] + "\n", encoding="utf-8")
            return str(path)
    return value.replace("%t", str(directory))


@pytest.mark.processes
@pytest.mark.parametrize("deployment", ["systemd", "compose"])
def test_the_deployed_environment_passes_check_deploy(deployment: str, tmp_path: Path) -> None:
    """The web process's environment as the units (with the example env file) or the compose
    file give it, secrets filled in, is one `channeldesk check --deploy` finds nothing wrong
    with (nothing is connected to)."""
    if deployment == "systemd":
        given = _unit_environment("channeldesk-web.service")
    else:
        given = {name: str(value) for name, value in _app_services()["web"]["environment"].items()}
    made_up = _made_up_secrets()
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    environment |= {name: _materialised(value, tmp_path, made_up) for name, value in given.items()}
    environment["CHANNELDESK_VAR_DIR"] = str(tmp_path / "var")
    (tmp_path / "metrics").mkdir()
    environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    result = subprocess.run(
        [str(VENV_BIN / "channeldesk"), "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_process_of_a_host_shares_one_metrics_directory() -> None:
    """/metrics adds up the processes of a host from one directory (docs/operations.md): web,
    scheduler and workers must all write there, or the job counters never reach /metrics."""
    in_units = {_unit_environment(name).get("PROMETHEUS_MULTIPROC_DIR") for name in UNIT_PROCESSES}
    assert in_units == {"%t/channeldesk/metrics"}
    for name in UNIT_PROCESSES:
        assert _unit_lines(name, "RuntimeDirectory") == ["channeldesk/metrics"], name
        assert _unit_lines(name, "RuntimeDirectoryPreserve") == ["yes"], name
    services = _app_services()
    in_compose = {
        service["environment"].get("PROMETHEUS_MULTIPROC_DIR") for service in services.values()
    }
    assert in_compose == {"/run/channeldesk/metrics"}
    for name, service in services.items():
        assert "metrics:/run/channeldesk/metrics" in service["volumes"], name
