"""The review form."""

from django import forms

from library.models import Review


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["reader", "stars", "text"]

    def clean_stars(self) -> int:
        stars: int = self.cleaned_data["stars"]
        if not 1 <= stars <= 5:
            raise forms.ValidationError("from 1 to 5 stars")
        return stars
