from django.apps import AppConfig


class AggregatorConfig(AppConfig):
    name = "aggregator"
