from typing import TypeVar

from django.db import connection, models
from django.db.models import F

M = TypeVar("M", bound=models.Model)


def save_fields(instance: M, **fields: object) -> M:
    """Set these fields and save only them, so a concurrent save of other fields is not undone."""
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save(update_fields=list(fields))
    return instance


def lock_row(model: type[models.Model], pk: object) -> None:
    """Make writers that check-then-insert under one row (a reader's limit of endpoints or
    tokens) take turns until this transaction ends: SELECT … FOR UPDATE where the database has
    it; on SQLite, a write, which takes its one write lock now rather than at the insert."""
    rows = model._default_manager.filter(pk=pk)
    if connection.features.has_select_for_update:
        list(rows.select_for_update().values_list("pk", flat=True))
    else:
        name = model._meta.pk.attname
        rows.update(**{name: F(name)})
