from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "bench.benchapp"
    label = "benchapp"
    verbose_name = "Benchmark widgets and pages"

    def ready(self) -> None:
        from bench.benchapp.conf import bench_settings
        from bench.benchapp.layouts import use_layout

        if bench_settings.LAYOUT:
            use_layout(bench_settings.LAYOUT)
