"""OpenID Connect sign-in (off by default; see docs/ADMIN.md). Users are matched by e-mail and
must already exist: a coordinator creates them and grants roles, the IdP only authenticates."""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class BryggaOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = claims.get("email")
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)
