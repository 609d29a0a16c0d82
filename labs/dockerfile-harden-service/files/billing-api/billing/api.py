import os

from flask import Flask, jsonify

from billing.health import health


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config["STRIPE_API_KEY"] = os.environ["STRIPE_API_KEY"]
    app.register_blueprint(health)

    @app.get("/v1/invoices/<invoice_id>")
    def invoice(invoice_id: str):
        return jsonify({"id": invoice_id, "status": "open"})

    return app
