"""One module per scenario, each with ``KEY``, ``TITLE``, ``NEEDS`` and ``run(ctx) -> ScenarioResult``."""
