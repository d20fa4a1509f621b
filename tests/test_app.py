import pytest

from app import create_app
from app.config import ProductionConfig


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_home_page_is_french_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.text
    assert "Trouver un métier" in response.text


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "La page demandée n’existe pas." in response.text or "n'existe pas" in response.text


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.is_json and response.json["error"] == "Not Found"


def test_pages_load_bootstrap_locally(client):
    html = client.get("/").text
    assert "cdn" not in html.lower()
    assert "/bootstrap/static/" in html


@pytest.mark.parametrize("url", ["/mobility/dossiers/99999999999999999999", "/offers/2147483648",
                                 "/referrals/?page=99999999999", "/jobs/?page=100001", "/jobs/?page=1234567"])
def test_numbers_beyond_the_database_integers_are_not_found(client, login_as, url):
    login_as("manager")
    assert client.get(url).status_code == 404


def test_the_largest_id_is_still_looked_up(client, login_as):
    login_as("manager")
    assert client.get("/offers/2147483647").status_code == 404  # looked up, not found: no error either
    assert client.get("/jobs/?page=2").status_code == 200
