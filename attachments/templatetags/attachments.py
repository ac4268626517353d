"""``{% attachment_list obj %}``: the attachments section of a parent's page (approval, issue,
meeting, project) — its current files, and the upload form for those who may act on it."""

from django import template

from attachments import selectors, services
from attachments.forms import UploadForm

register = template.Library()


@register.inclusion_tag("attachments/_list.html", takes_context=True)
def attachment_list(context, parent):
    user = context["request"].user
    return {
        "parent": parent,
        "parent_type": selectors.parent_type_of(parent),
        "attachments": selectors.attachments_of(parent),
        "may_attach": services.may_attach(parent, user),
        "form": UploadForm(),
        "full": False,
        "csrf_token": context.get("csrf_token"),
    }
