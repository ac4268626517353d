from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and the ``seed_demo`` command that loads it."""

    name = "demo"
    verbose_name = "演示数据"
