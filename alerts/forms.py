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


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A JSON export from tidings, or an OPML file of topic feeds.")


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="Endpoint URL")

    class Meta:
        model = WebhookEndpoint
        fields = ["url"]
