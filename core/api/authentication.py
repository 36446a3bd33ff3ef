"""``Authorization: Token <key>`` against the stored digests of API tokens (core.tokens)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from core.tokens import api_token_user


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token scheme (same header, same 401 challenge), with hashed, expiring keys."""

    def authenticate_credentials(self, key: str):
        user, refusal = api_token_user(key)
        if user is None:
            raise AuthenticationFailed(refusal)
        return user, None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
