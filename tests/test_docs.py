import re
from pathlib import Path

from widgets.registry import registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


ENV_READ = re.compile(r'(?:env_\w+|os\.environ\.get)\(\s*"([A-Z_]+)"')


def environment_variables_read_by_settings() -> set[str]:
    return set(ENV_READ.findall((ROOT / "dashboard" / "settings.py").read_text()))


def test_every_environment_variable_is_in_the_readme_table():
    names = environment_variables_read_by_settings()
    assert {"DATABASE_URL", "REDIS_URL", "RATES_API_URL", "SECRET_KEY"} <= names
    missing = [name for name in sorted(names) if f"| `{name}` |" not in README]
    assert missing == []


def test_every_registered_widget_is_in_the_readme():
    missing = [name for name in registry.names() if f"| `{name}` |" not in README]
    assert missing == []


def test_readme_gives_the_two_commands():
    assert "make demo" in README
    assert "make test" in README


def framework_settings() -> list[str]:
    """Every setting ``widgets/conf.py`` reads, by the name a project sets."""
    conf = (ROOT / "widgets" / "conf.py").read_text()
    return re.findall(r'getattr\(settings, "([A-Z_]+)"', conf)


def test_every_framework_setting_is_in_the_readme_table():
    names = framework_settings()
    assert {"WIDGETS_SOURCE_TIMEOUT", "WIDGETS_PERIOD_MAX_DAYS", "SITE_URL"} <= set(names)
    missing = [name for name in names if f"| `{name}` |" not in README]
    assert missing == []


def test_every_registered_dashboard_is_in_the_readme():
    from widgets import dashboards

    missing = [name for name in dashboards.names() if f"| `{name}` |" not in README]
    assert missing == []
