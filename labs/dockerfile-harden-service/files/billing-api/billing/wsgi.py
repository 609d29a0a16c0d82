from billing.api import create_app

app = create_app()
