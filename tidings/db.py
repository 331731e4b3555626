from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def save_fields(instance: M, **fields: object) -> M:
    """Set these fields and save only them, so a concurrent save of other fields is not undone."""
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save(update_fields=list(fields))
    return instance
