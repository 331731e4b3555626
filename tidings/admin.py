from django.contrib import admin
from django.db import models


class ModelAdmin(admin.ModelAdmin):
    """The newsroom's base admin: URL fields take a bare host as https (Django 6's default, and
    without it Django 5.2 warns on every form with a URL)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
