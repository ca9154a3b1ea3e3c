"""Every ``manage.py`` command in README.md exists and is written the one way that works from a fresh clone.

``make demo`` / ``make install`` create ``.venv``; uv may live in ``.tools/`` rather than on PATH, so
``uv run`` and a bare ``python`` are not promised to work, ``.venv/bin/python`` is. The "Use it in your
project" section is about the reader's own project and is left out.
"""

import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

VENV_PYTHON = ".venv/bin/python "
COMMAND = re.compile(r"manage\.py\s+([\w-]+)")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
FOREIGN_SECTION = "use it in your project"


def project_text(readme: str) -> str:
    """README without the sections about the reader's own project (headings inside code blocks are code)."""
    kept: list[str] = []
    in_code = False
    skipping_below: int | None = None
    for line in readme.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if skipping_below is not None and level <= skipping_below:
                skipping_below = None
            if skipping_below is None and heading.group(2).strip().lower().startswith(FOREIGN_SECTION):
                skipping_below = level
        if skipping_below is None:
            kept.append(line)
    return "\n".join(kept)


def readme_commands(readme: str) -> list[tuple[str, str]]:
    """(command, its line up to the command) for each ``manage.py`` command in the project's README."""
    text = project_text(readme)
    return [
        (match.group(1), text[text.rfind("\n", 0, match.start()) + 1 : match.end()])
        for match in COMMAND.finditer(text)
    ]


def test_readme_names_manage_py_commands():
    assert {"embed_url", "createsuperuser", "migrate"} <= {name for name, _ in readme_commands(README)}


def test_every_readme_manage_py_command_exists():
    commands = get_commands()
    missing = sorted({name for name, _ in readme_commands(README) if name not in commands})
    assert missing == []


def test_every_readme_manage_py_command_runs_with_the_venv_python():
    written_otherwise = [
        line for name, line in readme_commands(README) if not line.endswith(f"{VENV_PYTHON}manage.py {name}")
    ]
    assert written_otherwise == []


def test_use_it_in_your_project_section_is_left_out():
    readme = (
        "## The two commands\n.venv/bin/python manage.py migrate\n"
        "## Use it in your project\n```sh\n# a comment, not a heading\npython manage.py mystery\n```\n"
        "### Settings\npython manage.py other\n"
        "## Caching\nthen `.venv/bin/python manage.py check`\n"
    )
    assert readme_commands(readme) == [
        ("migrate", ".venv/bin/python manage.py migrate"),
        ("check", "then `.venv/bin/python manage.py check"),
    ]


def test_line_of_a_command_shows_how_it_is_written():
    assert readme_commands("intro\nrun `uv run python manage.py createsuperuser` once") == [
        ("createsuperuser", "run `uv run python manage.py createsuperuser")
    ]
