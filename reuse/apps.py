from django.apps import AppConfig


class ReuseConfig(AppConfig):
    name = "reuse"
