"""Logging in and out of the agent UI, and the guard every agent page uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

from .forms import LoginForm
from .models import Agent


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only logged-in agents: anonymous visitors go to the login page, a user without an
    Agent row gets a Dutch 403 page. The agent is `request.agent`."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        agent = Agent.objects.filter(user=request.user).first()
        if agent is None:
            return render(request, "403.html", {"no_agent": True}, status=403)
        request.agent = agent  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    extra_context = {"company": settings.BALIE_COMPANY_NAME}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(self.request, "login_throttled", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """Log out by POST only (a link could be triggered by any page)."""

    http_method_names = ["post", "options"]
