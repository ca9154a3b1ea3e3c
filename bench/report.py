"""The run's report: a markdown table of goals per scenario, and the same as JSON.

Both go to ``bench/results/<label>.md`` and ``<label>.json`` (``latest`` unless
``--label`` says otherwise), written whole or not at all, with stable key
order so that a committed result diffs cleanly against the next.
"""

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.scenario import Goal, ScenarioResult
from bench.servers import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
MARKS = {True: "PASS", False: "MISS", None: "n/a"}


@dataclass
class Report:
    label: str
    options: dict[str, Any]
    source_commit: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    scenarios: list[ScenarioResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ScenarioResult]:
        return [scenario for scenario in self.scenarios if not scenario.has_run]

    @property
    def goals(self) -> list[Goal]:
        return [goal for scenario in self.scenarios for goal in scenario.goals]


def environment(source_commit: str | None = None) -> dict[str, Any]:
    packages: dict[str, str | None] = {}
    for package in ("django", "uvicorn", "gunicorn", "httpx", "psycopg", "playwright"):
        try:
            packages[package] = version(package)
        except PackageNotFoundError:
            packages[package] = None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "packages": packages,
        "commit": source_commit or commit_id(),
    }


def commit_id() -> str | None:
    """The checked-out commit, read from .git (the working tree may differ from it)."""
    git = PROJECT_ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return line.split()[0]
    except OSError:
        pass
    return None


def format_value(goal: Goal, value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    if goal.unit == "×":
        return f"{value:.2f}×"
    number = f"{int(value):,}" if value == int(value) else f"{value:.3g}"
    return f"{number} {goal.unit}".strip()


def format_target(goal: Goal) -> str:
    return f"{'≤' if goal.comparison == '<=' else '≥'} {format_value(goal, goal.target)}"


def scenario_markdown(scenario: ScenarioResult) -> list[str]:
    lines = [f"## {scenario.key} — {scenario.title}", ""]
    if scenario.error is not None:
        lines += ["**Could not run:**", "", "```", scenario.error.strip(), "```", ""]
    if scenario.goals:
        lines += ["| Goal | Measured | Target | Result |", "|---|---:|---:|:---:|"]
        for goal in scenario.goals:
            row = [goal.label, format_value(goal, goal.measured), format_target(goal), MARKS[goal.passed]]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    if scenario.summary:
        lines += [f"Measured: {scenario.summary}.", ""]
    lines += [f"- {note}" for note in scenario.notes]
    if scenario.notes:
        lines.append("")
    return lines


def to_markdown(report: Report) -> str:
    env = environment(report.source_commit)
    commit = (env["commit"] or "unknown")[:10]
    code = (
        f"code of commit {commit}"
        if report.source_commit
        else f"commit {commit} (the working tree may differ)"
    )
    packages = env["packages"]
    options = ", ".join(f"{key}={value}" for key, value in report.options.items())
    lines = [
        f"# Benchmark results: {report.label}",
        "",
        f"{report.started_at:%Y-%m-%d %H:%M} UTC · {env['cores']} cores · Python {env['python']} · "
        f"Django {packages['django']} · uvicorn {packages['uvicorn']} · {code} · {options}",
        "",
        "Each ratio compares measurements taken side by side in this one run: on a shared",
        "2-core machine absolute times are noise, ratios hold. Details: bench/README.md.",
        "",
    ]
    for scenario in report.scenarios:
        lines += scenario_markdown(scenario)
    passed = sum(goal.passed is True for goal in report.goals)
    lines.append(
        f"**{passed} of {len(report.goals)} goals met; "
        f"{len(report.failed)} of {len(report.scenarios)} scenarios could not run.**"
    )
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    return {
        "label": report.label,
        "started_at": report.started_at.isoformat(timespec="seconds"),
        "environment": environment(report.source_commit),
        "options": report.options,
        "scenarios": [
            {
                **asdict(scenario),
                "seconds": round(scenario.seconds, 1),
                "goals": [{**asdict(goal), "passed": goal.passed} for goal in scenario.goals],
            }
            for scenario in report.scenarios
        ],
    }


def write(report: Report, results_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Write ``<label>.json`` and ``<label>.md``, each through a temporary file."""
    results_dir.mkdir(parents=True, exist_ok=True)
    paths = (results_dir / f"{report.label}.json", results_dir / f"{report.label}.md")
    contents = (
        json.dumps(to_json(report), indent=2, allow_nan=False, default=str) + "\n",
        to_markdown(report),
    )
    for path, content in zip(paths, contents, strict=True):
        scratch = path.with_name(path.name + ".tmp")
        scratch.write_text(content)
        scratch.replace(path)
    return paths
