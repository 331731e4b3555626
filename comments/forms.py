from django import forms
from django.conf import settings

from comments.models import CommentReport
from comments.render import HINT

HONEYPOT = "website"


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        # The length rule lives in comments.actions, so the message names the limit and the
        # text stays in the box; this only stops absurd posts early.
        max_length=20000,
        strip=False,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    notify_replies = forms.BooleanField(required=False, label="Alert me to replies")
    # A field people never see (CSS hides it, screen readers skip it) and bots fill in.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        limit = settings.COMMENT_MAX_CHARS
        self.fields["body"].help_text = f"{HINT} Up to {limit:,} characters."

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class EditForm(forms.Form):
    body = forms.CharField(label="Your comment", widget=forms.Textarea(attrs={"rows": 6}))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=CommentReport.Reason.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=500, label="Anything to add (optional)")
