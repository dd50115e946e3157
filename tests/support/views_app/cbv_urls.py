"""URLs of the async class-based views."""

from django.urls import path

from . import cbv, views

urlpatterns = [
    path("cbv/hello/", cbv.Hello.as_view()),
    path("cbv/authors/", cbv.Authors.as_view()),
    path("cbv/all-authors/", cbv.AllAuthors.as_view()),
    path("cbv/author/<int:pk>/", cbv.AuthorDetail.as_view(), name="author-detail"),
    path("cbv/author/new/", cbv.AuthorCreate.as_view()),
    path("cbv/author/<int:pk>/edit/", cbv.AuthorUpdate.as_view()),
    path("cbv/author/<int:pk>/delete/", cbv.AuthorDelete.as_view()),
    path("cbv/contact/", cbv.Contact.as_view()),
    path("cbv/to/<str:name>/", cbv.ToAuthor.as_view()),
    path("cbv/private/", cbv.Private.as_view()),
    path("cbv/perms/", cbv.Perms.as_view()),
    path("cbv/staff/", cbv.StaffOnly.as_view()),
    path("login/", views.login_view),
]
