"""`cli_start`: how long every `channeldesk` command takes to start, next to a bare
`django.setup()` of the same project in the same run.

Target (docs/operations.md): every command starts in under 1 s (median, warm disk). Each
command runs as its own process, the way a person or cron starts it: `channeldesk help`, every
ChannelDesk command with `--help` (settings, app registry, the command's module and its parser,
no work), and `channeldesk tiers policies --format json` as one command that also opens the
database and answers. The baseline is a process that only runs `django.setup()`: what any
command pays before it can do anything. The processes run in turn, the order rotating from run
to run so that all see the same machine; one run of each before measuring warms the disk cache
and writes the bytecode (as any installed copy has it).

The start does not depend on the data: the scale only sets the number of runs. The database is
an empty migrated scratch database (`channeldesk_bench_cli_start`).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

from common import CHANNELDESK, ROOT, arguments, emit, setup_scratch_django

TARGET_SECONDS = 1.0
RUNS = {"small": 5, "full": 9}
# Every ChannelDesk command: the modules of the apps' management/commands directories, so a new
# command is measured without anybody remembering to list it here.
COMMANDS = tuple(
    sorted(
        module.stem
        for module in (ROOT / "src" / "channeldesk").glob("*/management/commands/*.py")
        if not module.stem.startswith("_")
    )
)
BARE_SETUP = (
    "import os, django; "
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'channeldesk.settings'); "
    "django.setup()"
)


def _processes() -> dict[str, list[str]]:
    """What is timed, by name: the bare setup first, then the commands."""
    processes = {"django_setup": [sys.executable, "-c", BARE_SETUP]}
    processes["help"] = [CHANNELDESK, "help"]
    for command in COMMANDS:
        processes[f"{command} --help"] = [CHANNELDESK, command, "--help"]
    processes["tiers policies"] = [CHANNELDESK, "tiers", "policies", "--format", "json"]
    return processes


def _environment() -> dict[str, str]:
    """This process's environment, with bytecode written (to var/ when the checkout's own
    directories are not to get any) so that every start after the first one is warm."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "channeldesk.settings"}
    if environment.pop("PYTHONDONTWRITEBYTECODE", None):
        environment.setdefault("PYTHONPYCACHEPREFIX", str(ROOT / "var" / "bench-pycache"))
    return environment


def _time(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{finished.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def main() -> None:
    options = arguments(__doc__ or "")
    runs = options.runs or RUNS[options.scale]
    database = setup_scratch_django("cli_start")
    environment = _environment()
    processes = _processes()
    names = list(processes)
    for name in names:  # warm-up: disk cache and bytecode
        _time(processes[name], environment)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu = _time(processes[name], environment)
            times[name].append(wall)
            cpu_times[name].append(cpu)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu = {name: round(statistics.median(values), 4) for name, values in cpu_times.items()}
    baseline = medians.pop("django_setup")
    # CPU time (user + system) is given too: on a shared machine it varies less than wall time.
    common = {
        "runs": runs,
        "scale": options.scale,
        "database": database,
        "baseline_cpu_s": cpu["django_setup"],
    }
    for name, median in medians.items():
        emit(
            f"cli_start.{name.replace(' --help', '').replace(' ', '_')}",
            median,
            "s",
            command=f"channeldesk {name}",
            cpu_s=cpu[name],
            baseline=round(baseline, 4),
            ratio=round(median / baseline, 3),
            **common,
        )
    slowest = max(medians, key=medians.__getitem__)
    emit(
        "cli_start.slowest",
        medians[slowest],
        "s",
        command=f"channeldesk {slowest}",
        cpu_s=cpu[slowest],
        baseline=round(baseline, 4),
        baseline_name="bare django.setup() in its own process",
        ratio=round(medians[slowest] / baseline, 3),
        target=f"< {TARGET_SECONDS} s",
        meets_target=medians[slowest] < TARGET_SECONDS,
        **common,
    )


if __name__ == "__main__":
    main()
