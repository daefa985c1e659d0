import re, time
from urllib.parse import urlparse
from tests.conftest import CsrfClient, client_for, give_totp
from tests import factories
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import hotp_value, format_hotp_value
from allauth.mfa.models import Authenticator

from django.conf import settings
class Browser(CsrfClient):
    def post(self, path, data=None, **extra):
        token = self.cookies[settings.CSRF_COOKIE_NAME].value
        if isinstance(data, dict):
            data = {"csrfmiddlewaretoken": token, **data}
        extra.setdefault("HTTP_X_CSRFTOKEN", token)
        return super().post(path, data, **extra)

def main(r):
    body = r.content.decode(); return body[body.find("<main"):body.find("</main>")]

def test_explore_2fa(db, outbox):
    m = factories.OrganisationMembershipFactory(user__email="staff@example.org")
    c = Browser()
    r = c.post("/accounts/login/", {"login": "staff@example.org", "password": factories.PASSWORD}); print(r.status_code, r.get("Location"))
    r = c.get("/accounts/reauthenticate/?next=/accounts/2fa/totp/activate/"); print(r.status_code); print(main(r))
    r = c.post("/accounts/reauthenticate/", {"password": factories.PASSWORD, "next": "/accounts/2fa/totp/activate/"}); print(r.status_code, r.get("Location"))
    r = c.get("/accounts/2fa/totp/activate/"); print(r.status_code, r.get("Location")); print(main(r))
    secret = re.search(r'value="([A-Z2-7]{32})"', r.content.decode()).group(1)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    r = c.post("/accounts/2fa/totp/activate/", {"code": code}); print(r.status_code, r.get("Location"))
    print(Authenticator.objects.filter(user=m.user).values_list("type", flat=True))
    r = c.get(r["Location"]); print(r.status_code); print(main(r))
