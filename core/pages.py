"""A service step taken from a page: run it, show a refusal, redirect on success.

Every page that changes something posts to a view that checks the form, calls one service
function and answers either with a redirect (the change is made, a message says so) or with the
page again, the refusal on the form and nothing changed. :func:`page_action` is that view's
middle; the view says what its page looks like when refused.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect

from core.exceptions import DomainError, NotPermitted
from core.forms import add_service_error


def refusal_status(error: DomainError | None) -> int:
    """403 for a step the user may not take, 400 for an invalid form or any other refusal."""
    return 403 if isinstance(error, NotPermitted) else 400


def page_action(
    request,
    step: Callable[[], Any],
    *,
    refused: Callable[[DomainError | None, int], HttpResponse],
    form: forms.Form | None = None,
    done: str | Callable[[Any], str] | None = None,
    then: Any = None,
) -> HttpResponseBase:
    """Run ``step()`` — a service call — for a page and answer the browser.

    ``form``, when given, must be valid first (``step`` may read its ``cleaned_data``). A form
    that is not valid, or a refusal of the service (``DomainError``, ``NotPermitted``
    included), changes nothing: the refusal is put on ``form`` (on the field it names, else
    above the form) and the answer is ``refused(error, status)`` — ``error`` None for an
    invalid form, ``status`` 403 for ``NotPermitted`` and 400 otherwise (a page may answer
    with another).

    On success ``done`` — a message, or a function of the step's result giving one — is shown
    on the next page, and the browser is sent to ``then``: a URL or an object with
    ``get_absolute_url`` (default: the step's result), or a function of the result giving one
    of these or a response of its own.
    """
    if form is not None and not form.is_valid():
        return refused(None, refusal_status(None))
    try:
        result = step()
    except DomainError as error:
        if form is not None:
            add_service_error(form, error)
        return refused(error, refusal_status(error))
    if done:
        messages.success(request, done(result) if callable(done) else done)
    target = then(result) if callable(then) else (result if then is None else then)
    return target if isinstance(target, HttpResponseBase) else redirect(target)


def action_panel(workflow, obj, user, make_form, failed=None, extra=()) -> dict:
    """What a detail page shows of a workflow: a form per step ``user`` may take on ``obj``
    now (from the workflow's table), and a refused step that is no longer offered.

    ``make_form(name)`` builds a step's empty form; ``failed`` is the (step, bound form) a
    refused post came back with, shown in its place; ``extra`` are entries of the same shape
    offered before the table's steps (e.g. an issue's 匹配项目). Answers the page's
    ``actions``, ``refused`` and ``refused_label``."""
    failed_action, failed_form = failed or (None, None)
    actions = list(extra)
    for name in workflow.allowed_actions(obj, user):
        form = failed_form if name == failed_action else make_form(name)
        actions.append({"name": name, "label": workflow.table[name].label, "form": form})
    offered = {entry["name"] for entry in actions}
    lost = failed_action is not None and failed_action not in offered
    action = workflow.table.get(failed_action)
    return {
        "actions": actions,
        # a refused step that is not (or no longer) offered: its errors go above the list
        "refused": failed_form if lost else None,
        "refused_label": action.label if action is not None else "",
    }
