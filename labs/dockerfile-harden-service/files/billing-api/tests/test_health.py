from billing.api import create_app


def test_healthz(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://x")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_x")
    assert create_app().test_client().get("/healthz").status_code == 200
