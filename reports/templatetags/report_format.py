from django import template

from reports import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("yi", formatting.yi)
register.filter("percent", formatting.percent)
register.filter("share", formatting.share)
register.filter("count", formatting.count)
