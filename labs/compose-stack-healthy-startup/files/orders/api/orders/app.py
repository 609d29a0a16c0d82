import os

import psycopg
import redis
from flask import Flask, jsonify

app = Flask(__name__)
DATABASE_URL = os.environ["DATABASE_URL"]
cache = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/healthz")
def healthz():
    """200 when the database and the cache answer, 503 otherwise."""
    try:
        with psycopg.connect(DATABASE_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        cache.ping()
    except Exception as e:  # noqa: BLE001 - any failure means not ready
        return jsonify(status="failing", error=type(e).__name__), 503
    return jsonify(status="ok")


@app.get("/v1/orders/<order_id>")
def order(order_id: str):
    with psycopg.connect(DATABASE_URL) as conn:
        row = conn.execute("SELECT id, status FROM orders WHERE id = %s", (order_id,)).fetchone()
    return (jsonify(id=row[0], status=row[1]), 200) if row else (jsonify(error="not found"), 404)
