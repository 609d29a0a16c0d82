"""Background worker: takes order events from Redis and records them in Postgres."""
import os
import time

import psycopg
import redis


def main() -> None:
    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        while True:
            item = cache.blpop("orders:events", timeout=5)
            if item:
                conn.execute("INSERT INTO order_events (payload) VALUES (%s)", (item[1].decode(),))
                conn.commit()
            time.sleep(0.1)


if __name__ == "__main__":
    main()
