"""The production OIDC settings: one username claim for the API and the staff sign-in, one leeway, the typ
requirement outside development, the allowed clients, and the refusal to start without an issuer."""

from __future__ import annotations

import pytest

from api.web.oidc import OidcSettings
from workflow.settings import Settings


def test_the_api_and_the_staff_sign_in_read_the_same_username_claim_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UPPF_OIDC_USERNAME_CLAIM", raising=False)
    with_issuer = Settings(oidc_issuer="https://idp.kommun.test", _env_file=None)
    assert with_issuer.username_claim == OidcSettings(_env_file=None).username_claim == "preferred_username"
    assert Settings(_env_file=None).username_claim == "sub"  # the development tokens
    monkeypatch.setenv("UPPF_OIDC_USERNAME_CLAIM", "upn")
    assert Settings(oidc_issuer="https://idp.kommun.test").username_claim == OidcSettings().username_claim == "upn"


def test_one_leeway_setting_serves_the_api_and_the_staff_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPPF_JWT_LEEWAY_SECONDS", "7")
    assert Settings().jwt_leeway_seconds == OidcSettings().leeway == 7
    with pytest.raises(ValueError):
        Settings(jwt_leeway_seconds=-1)


def test_at_jwt_is_required_outside_development_unless_turned_off() -> None:
    assert Settings(environment="production").require_at_jwt is True
    assert Settings(environment="development").require_at_jwt is False
    assert Settings(environment="production", oidc_require_at_jwt=False).require_at_jwt is False


def test_the_allowed_clients_are_a_comma_separated_list() -> None:
    assert Settings(oidc_allowed_clients=" uppfoljning, ekonomisystem ,,").allowed_clients == {
        "uppfoljning",
        "ekonomisystem",
    }
    assert Settings().allowed_clients == frozenset()


def test_production_needs_an_issuer_where_a_key_set_is_configured() -> None:
    keys_only = Settings(environment="production", oidc_jwks_url="https://idp.test/keys", audit_key="k" * 40)
    with pytest.raises(RuntimeError, match="UPPF_OIDC_ISSUER"):
        keys_only.check_production()
    Settings(environment="production", oidc_issuer="https://idp.test", audit_key="k" * 40).check_production()
