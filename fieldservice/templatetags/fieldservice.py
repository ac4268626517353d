"""The project page's part of 走访服务 (its service specialist, linked leader, latest visits),
drawn by the part itself so the project page only includes it."""

from django import template

from .. import selectors, services

register = template.Library()


@register.inclusion_tag("fieldservice/_project_service_part.html", takes_context=True)
def project_service(context, project):
    user = context["user"]
    found = selectors.project_service(user, project)
    return {
        **found,
        "project": project,
        "may_record": services.may_record(user, project, found["assignment"]),
        "may_assign": services.may_assign(user),
    }
