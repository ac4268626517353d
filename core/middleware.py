"""Language selection for a Chinese-first government system."""

from django.conf import settings
from django.utils import translation


class CookieLocaleMiddleware:
    """Activate the language the user chose (cookie set by ``set_language``), else zh-hans.

    Django's LocaleMiddleware also follows the browser's Accept-Language header, which would
    show an English-configured browser a half-English interface; officials expect Chinese unless
    they switch explicitly.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
