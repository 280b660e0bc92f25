"""Authentication: every 401/403 case of contract §2, subdomains, and stored digests."""
import glob

import pytest
from playhouse.test_utils import count_queries

from nextstep.db import is_sqlite
from nextstep.models import ALL_MODELS, ApiKey, Member, Team, database
from nextstep.services.keys import revoke_api_key

URL = "/api/v1/process-templates"
UNAUTHORIZED = {"error": {"code": "unauthorized", "message": (
    "A valid API key is required in the Authorization header (Bearer nxs_live_...)")}}


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token nxs_live_" + "a" * 32,
    "Bearer nxs_live_" + "a" * 31,
    "Bearer nxs_live_" + "a" * 33,
    "Bearer nxs_live_" + "A" * 32,
    "Bearer nxs_test_" + "a" * 32,
    "Bearer nxs_live_" + "g" * 32,
    "Bearer nxs_live_" + "a" * 32,  # well formed, unknown
])
def test_missing_malformed_and_unknown_keys_get_the_same_401(client, api_key, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_valid_key_is_accepted_and_its_use_recorded(client, api_key, auth):
    assert ApiKey.get().last_used_at is None
    response = client.get(URL, headers=auth)
    assert response.status_code == 200
    assert ApiKey.get().last_used_at is not None


def test_the_scheme_is_case_insensitive(client, api_key):
    response = client.get(URL, headers={"Authorization": f"bearer {api_key}"})
    assert response.status_code == 200


def test_a_revoked_key_fails_on_the_next_request(client, team, api_key, auth):
    assert client.get(URL, headers=auth).status_code == 200
    assert revoke_api_key(team, ApiKey.get().id)
    response = client.get(URL, headers=auth)
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED


def test_a_deactivated_owners_key_fails_on_the_next_request(client, api_key, auth):
    assert client.get(URL, headers=auth).status_code == 200
    Member.update(is_active=False).execute()
    response = client.get(URL, headers=auth)
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED


@pytest.mark.parametrize("status", ["past_due", "canceled"])
def test_an_inactive_subscription_is_403(client, team, auth, status):
    Team.update(subscription_status=status).where(Team.id == team.id).execute()
    response = client.get(URL, headers=auth)
    assert response.status_code == 403
    assert response.json == {"error": {"code": "forbidden", "message": (
        "The team's subscription is inactive; renew it to use the API")}}


def test_a_trialing_subscription_is_served(client, team, auth):
    Team.update(subscription_status="trialing").where(Team.id == team.id).execute()
    assert client.get(URL, headers=auth).status_code == 200


def test_a_revoked_key_is_401_before_the_subscription_is_looked_at(client, team, api_key, auth):
    Team.update(subscription_status="canceled").where(Team.id == team.id).execute()
    revoke_api_key(team, ApiKey.get().id)
    assert client.get(URL, headers=auth).status_code == 401


def test_health_needs_no_key(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"data": {"status": "ok", "database": "ok", "rate_limit_storage": "ok"}}


def test_no_plaintext_key_is_stored_in_any_row(client, team, make_key):
    keys = [make_key(team)[0] for _ in range(3)]
    for key in keys:
        client.get(URL, headers={"Authorization": f"Bearer {key}"})
    every_row = repr([list(model.select().tuples()) for model in ALL_MODELS])
    for key in keys:
        assert key[9:] not in every_row


def test_no_plaintext_key_is_in_the_database_file(client, app, team, make_key, database_url):
    if not is_sqlite():
        pytest.skip("reads the SQLite file itself; the row check covers PostgreSQL")
    keys = [make_key(team)[0] for _ in range(3)]
    for key in keys:
        client.get(URL, headers={"Authorization": f"Bearer {key}"})
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = database_url.removeprefix("sqlite:///")
    stored = b""
    for name in glob.glob(path + "*"):
        with open(name, "rb") as stored_file:
            stored += stored_file.read()
    for key in keys:
        assert key.encode() not in stored
        assert key[9:].encode() not in stored
        row = ApiKey.get(ApiKey.last_four == key[-4:])
        assert row.prefix == key[:13]
        assert len(row.digest) == 64


class TestSubdomains:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, NEXTSTEP_BASE_DOMAIN="nextstep.example.com")

    def get(self, client, host, key):
        return client.get(URL, headers={"Authorization": f"Bearer {key}", "Host": host})

    def test_the_teams_own_subdomain_is_served(self, client, api_key):
        assert self.get(client, "acme.nextstep.example.com", api_key).status_code == 200

    def test_the_own_subdomain_costs_no_extra_query(self, client, api_key):
        self.get(client, "localhost", api_key)  # the once-a-minute last-used write
        with count_queries() as plain:
            self.get(client, "localhost", api_key)
        with count_queries() as own:
            self.get(client, "acme.nextstep.example.com", api_key)
        assert own.count == plain.count

    def test_a_port_and_upper_case_are_ignored(self, client, api_key):
        assert self.get(client, "ACME.nextstep.example.com:8080", api_key).status_code == 200

    def test_another_teams_subdomain_is_401(self, client, make_team, api_key):
        make_team(subdomain="globex")
        response = self.get(client, "globex.nextstep.example.com", api_key)
        assert response.status_code == 401
        assert response.json == UNAUTHORIZED

    def test_an_unknown_subdomain_is_404(self, client, api_key):
        response = self.get(client, "nobody.nextstep.example.com", api_key)
        assert response.status_code == 404
        assert response.json == {"error": {"code": "not_found",
                                           "message": "No team at this address"}}

    def test_an_unknown_subdomain_with_a_bad_key_is_401(self, client, api_key):
        response = self.get(client, "nobody.nextstep.example.com", "nxs_live_" + "0" * 32)
        assert response.status_code == 401

    @pytest.mark.parametrize("host", ["nextstep.example.com", "localhost", "api.other.org"])
    def test_other_hosts_let_the_key_decide(self, client, api_key, host):
        assert self.get(client, host, api_key).status_code == 200
