from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.urls import include, path


def no_icon(request):
    return HttpResponse(status=204)


urlpatterns = [
    path("login/", LoginView.as_view(template_name="provider/login.html"), name="login"),
    path("favicon.ico", no_icon),
    path("", include("oidc_provider.urls", namespace="oidc_provider")),
]
