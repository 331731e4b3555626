import datetime as dt
from typing import Any

from django import forms

from search.models import SavedSearch
from search.query import MAX_LENGTH
from stories.models import Publisher
from topics.models import Topic

EARLIEST, LATEST = dt.date(1800, 1, 1), dt.date(9000, 12, 31)


class SearchForm(forms.Form):
    """The results page's query and filters; every one is optional but the words."""

    q = forms.CharField(label="Search for", max_length=MAX_LENGTH, required=False)
    topic = forms.SlugField(required=False, max_length=200, label="Topic")
    kind = forms.ChoiceField(
        required=False, label="Mainly about",
        choices=[("", "Anything"), *Topic.Kind.choices],
    )  # fmt: skip
    publisher = forms.ChoiceField(required=False, label="Publisher", choices=[])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    sort = forms.ChoiceField(
        required=False, label="Order",
        choices=[("", "Best match"), ("newest", "Newest first")],
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["publisher"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any"), *Publisher.objects.values_list("slug", "name")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a date between {EARLIEST.year} and {LATEST.year}.")
                data.pop(name, None)
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the date range comes before its start.")
        return data


class SavedSearchForm(forms.ModelForm):
    snooze_days = forms.IntegerField(
        required=False, min_value=0, max_value=365, label="Snooze for (days)",
        help_text="0 ends a snooze.",
    )  # fmt: skip

    class Meta:
        model = SavedSearch
        fields = ["cadence", "muted"]
