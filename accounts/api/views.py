from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttling, tokens
from accounts.filtersets import RegionFilterSet, UnitFilterSet
from accounts.models import Region, Unit

from .serializers import (
    RegionSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UnitSerializer,
)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative divisions within the caller's scope, by GB/T 2260 code."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    search_fields = ["name", "code"]
    lookup_field = "code"
    lookup_value_regex = r"\d{6}"

    def get_queryset(self):
        return Region.objects.for_user(self.request.user)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Offices, departments and project units within the caller's scope."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    search_fields = ["name"]

    def get_queryset(self):
        return Unit.objects.for_user(self.request.user)


class SignInThrottled(Throttled):
    """429 with the lock's own Chinese message and ``Retry-After``."""

    def __init__(self, refused: throttling.Refused):
        APIException.__init__(self, refused.message, "account_locked")
        self.wait = refused.wait


class ObtainTokenView(APIView):
    """Exchange a username and password for the account's API token.

    Failed exchanges are limited per username and per client address (accounts/throttling.py):
    a locked username or address is answered 429 with ``Retry-After``, whatever the password."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        try:
            attempt = throttling.begin(request, username)
        except throttling.Refused as refused:
            raise SignInThrottled(refused) from None
        user = authenticate(
            request=request, username=username, password=serializer.validated_data["password"]
        )
        if user is None or not user.is_active:
            attempt.failed()
            raise AuthenticationFailed("用户名或密码错误。")
        attempt.succeeded()
        token = tokens.current_token(user, request=request._request)
        return Response({"token": token.key}, status=status.HTTP_200_OK)

    def get_authenticate_header(self, request):
        # No authentication class runs here, and DRF turns a 401 without a WWW-Authenticate
        # header into a 403; refused credentials are a 401 telling how to authenticate.
        return TokenAuthentication().authenticate_header(request)
