from typing import Any

from django import forms

from alerts.models import Follow, WebhookEndpoint


class FollowForm(forms.ModelForm):
    snooze_days = forms.IntegerField(
        required=False, min_value=0, max_value=365, label="Snooze for (days)",
        help_text="0 ends a snooze.",
    )  # fmt: skip

    class Meta:
        model = Follow
        fields = ["cadence", "scope", "muted"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic = getattr(self.instance, "topic", None)
        if topic is not None and topic.kind not in ("person", "organisation"):
            # Places and themes never speak: "when quoted" would never alert.
            field = self.fields["scope"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [c for c in Follow.Scope.choices if c[0] != Follow.Scope.QUOTED]


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A JSON export from tidings, or an OPML file of topic feeds.")


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="Endpoint URL")

    class Meta:
        model = WebhookEndpoint
        fields = ["url"]
