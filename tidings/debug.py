"""What Django's debug page and error emails show of the settings: no credentials."""

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# "scheme://user:password@host": the password is replaced; "scheme://token@host" (a DSN), the
# token.
_CREDENTIALS = re.compile(r"(\w[\w+.-]*://)(?:([^/\s:@]*):)?[^/\s@]+@")


class CredentialSafeFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|BROKER|AUTH|DSN|BEARER",
        flags=re.I,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        value = super().cleanse_setting(key, value)
        if isinstance(value, str):
            return _CREDENTIALS.sub(self._mask, value)
        return value

    def _mask(self, found: re.Match[str]) -> str:
        user = f"{found.group(2)}:" if found.group(2) is not None else ""
        return f"{found.group(1)}{user}{self.cleansed_substitute}@"
