"""What Django's debug page and error emails show of the settings: no credentials."""

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# "scheme://user:password@host": the password (and a bare user's token) is replaced.
_CREDENTIALS = re.compile(r"(\w[\w+.-]*://[^/\s:@]*:)[^/\s@]*@")


class CredentialSafeFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|BROKER", flags=re.I
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        value = super().cleanse_setting(key, value)
        if isinstance(value, str):
            return _CREDENTIALS.sub(rf"\g<1>{self.cleansed_substitute}@", value)
        return value
