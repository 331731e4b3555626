from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import User

EDITOR_PERMISSIONS = {
    "stories": ["story", "image", "publisher"],
    "topics": ["topic", "storytopic"],
    "comments": ["comment"],
}


@transaction.atomic
def ensure_editors_group() -> Group:
    """The "Editors" group, holding every permission an editor needs in the newsroom admin."""
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [
        f"{verb}_{model}"
        for models in EDITOR_PERMISSIONS.values()
        for model in models
        for verb in ("add", "change", "delete", "view")
    ]
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=EDITOR_PERMISSIONS, codename__in=codenames
        )
    )
    return group


@transaction.atomic
def ensure_user(username: str, password: str, *, editor: bool = False, **fields: str) -> User:
    """Create or refresh a login; editors get staff access and the Editors group."""
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.is_staff = editor
    user.save()
    if editor:
        user.groups.add(ensure_editors_group())
    return user
