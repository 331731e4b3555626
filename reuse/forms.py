from django import forms

from reuse.models import ReuseRequest


class ReuseRequestForm(forms.ModelForm):
    class Meta:
        model = ReuseRequest
        fields = ["organisation", "contact_name", "email", "intended_use", "territory", "medium"]
        widgets = {"intended_use": forms.Textarea(attrs={"rows": 3})}
        labels = {"contact_name": "Your name", "email": "Your email"}
