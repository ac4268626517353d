from django import template

register = template.Library()


@register.filter
def split(value: str):
    return value.split()


@register.filter
def field(form, name: str):
    return form[name]


@register.filter
def scoped_regions(queryset, user):
    """Regions offered in the filter: only those the user may see."""
    return queryset.model.objects.for_user(user)
