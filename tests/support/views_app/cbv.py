"""Async class-based views over the test app's Author model."""

from django import forms
from django.http import HttpResponse

from django_asyncx.views import (
    AsyncCreateView,
    AsyncDeleteView,
    AsyncDetailView,
    AsyncFormView,
    AsyncListView,
    AsyncLoginRequiredMixin,
    AsyncPermissionRequiredMixin,
    AsyncRedirectView,
    AsyncTemplateView,
    AsyncUpdateView,
    AsyncUserPassesTestMixin,
    AsyncView,
)
from tests.support.testapp.models import Author


class Hello(AsyncTemplateView):
    template_name = "views_app/hello.html"

    async def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["who"] = self.request.GET.get("who", "world")
        return context


class Authors(AsyncListView):
    model = Author
    template_name = "views_app/author_list.html"
    ordering = ["name"]
    paginate_by = 2


class AllAuthors(AsyncListView):
    queryset = Author.objects.order_by("name")
    template_name = "views_app/author_list.html"
    allow_empty = False
    extra_context = {"extra": "all"}


class AuthorDetail(AsyncDetailView):
    model = Author
    template_name = "views_app/author_detail.html"


class AuthorCreate(AsyncCreateView):
    model = Author
    fields = ["name"]
    template_name = "views_app/author_form.html"
    success_url = "/cbv/authors/"


class AuthorUpdate(AsyncUpdateView):
    model = Author
    fields = ["name"]
    template_name = "views_app/author_form.html"
    success_url = "/cbv/author/{id}/"


class AuthorDelete(AsyncDeleteView):
    model = Author
    template_name = "views_app/author_confirm_delete.html"
    success_url = "/cbv/authors/"


class ContactForm(forms.Form):
    email = forms.EmailField()


class Contact(AsyncFormView):
    form_class = ContactForm
    template_name = "views_app/author_form.html"
    success_url = "/cbv/thanks/"

    async def form_valid(self, form):
        # An async override of a sync hook: the view awaits it.
        return super().form_valid(form)


class ToAuthor(AsyncRedirectView):
    pattern_name = "author-detail"

    async def get_redirect_url(self, *args, **kwargs):
        author = await Author.objects.filter(name=kwargs.pop("name")).afirst()
        return None if author is None else super().get_redirect_url(pk=author.pk)


class Private(AsyncLoginRequiredMixin, AsyncView):
    async def get(self, request):
        return HttpResponse(f"private for {request.user.get_username()}")


class Perms(AsyncPermissionRequiredMixin, AsyncView):
    permission_required = "testapp.add_author"
    raise_exception = True

    async def get(self, request):
        return HttpResponse("allowed")


class StaffOnly(AsyncUserPassesTestMixin, AsyncView):
    async def test_func(self):
        user = await self.request.auser()
        return user.get_username().startswith("staff")

    async def get(self, request):
        return HttpResponse("staff page")
