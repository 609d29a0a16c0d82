"""Checks for postgres-pitr-dropped-table: judged by the data.

Every table's content is summarised in the sandbox (row count and an md5 over the rows in id
order) with the packaged psql by absolute path, and compared on the grader's side with values
kept in checks/expected.json, which the candidate never sees: the orders as they stood just
before the DROP (a day of inserts, updates and deletes on top of last night's base backup),
and the customers and tickets as they stand after everything written since.
"""

import json
import re

import pytest

PG = "/usr/lib/postgresql/15/bin"
PSQL = f"{PG}/psql"
MAIN = "/var/lib/postgresql/15/main"
ROWS = {
    "orders": "concat_ws(',', id, customer_id, placed_at AT TIME ZONE 'UTC', status, total_cents)",
    "customers": "concat_ws(',', id, name, email, tier)",
    "tickets": "concat_ws(',', id, customer_id, opened_at AT TIME ZONE 'UTC', subject)",
}


@pytest.fixture(scope="module")
def expected(lab_dir):
    return json.loads((lab_dir / "checks" / "expected.json").read_text())


def sql(db, query):
    """Run one query in the shop database on the production instance (port 5432) as postgres."""
    cmd = db.run(f"cd / && /usr/sbin/runuser -u postgres -- {PSQL} -X -q -p 5432 -d shop -v ON_ERROR_STOP=1 -tAc %s",
                  query)
    return cmd.stdout.strip() if cmd.rc == 0 else None


def summary(db, table, where="true"):
    return sql(db, f"SELECT count(*) || ' ' || coalesce(md5(string_agg({ROWS[table]}, ';' ORDER BY id)), '-') "
                   f"FROM {table} WHERE {where}")


def orders_exist(db):
    assert sql(db, "SELECT to_regclass('public.orders') IS NOT NULL") == "t", (
        "there is no table orders in the shop database on the production instance")


# --- orders-restored ------------------------------------------------------------------------

@pytest.mark.task("orders-restored")
def test_orders_table_is_back(db):
    assert sql(db, "SELECT 1") == "1", "PostgreSQL (15/main on port 5432) is not running, or the shop database is gone"
    orders_exist(db)


@pytest.mark.task("orders-restored")
def test_orders_from_before_last_nights_backup_are_as_before_the_drop(db, expected):
    orders_exist(db)
    got = summary(db, "orders", "id <= 2000")
    count = int(got.split()[0]) if got else 0
    assert got == expected["orders_old"], (
        f"the orders that existed at last night's backup are not as they were just before the DROP "
        f"({count} rows; the day's updates and deletions count too)")


@pytest.mark.task("orders-restored")
def test_orders_placed_today_are_back(db, expected):
    orders_exist(db)
    got = summary(db, "orders", "id > 2000")
    want = int(expected["orders_new"].split()[0])
    count = int(got.split()[0]) if got else 0
    assert got == expected["orders_new"], (
        f"orders placed since last night's backup: {count} restored, {want} expected, or not as they were "
        "just before the DROP")


# --- table-works ----------------------------------------------------------------------------

@pytest.mark.task("table-works")
def test_orders_has_its_keys_and_index(db):
    orders_exist(db)
    got = sql(db, "SELECT string_agg(contype::text || CASE WHEN contype = 'f' THEN confrelid::regclass::text ELSE '' END, ',' "
                  "ORDER BY contype) "
                  "FROM pg_constraint WHERE conrelid = 'public.orders'::regclass AND contype IN ('p', 'f')")
    assert got and "p" in got.split(",") and "fcustomers" in got.split(","), (
        "orders lacks its primary key or its foreign key to customers")
    idx = sql(db, "SELECT count(*) FROM pg_index WHERE indrelid = 'public.orders'::regclass "
                  "AND indkey::text = (SELECT attnum::text FROM pg_attribute WHERE attrelid = 'public.orders'::regclass "
                  "AND attname = 'customer_id')")
    assert idx and int(idx) >= 1, "orders lacks its index on customer_id"


@pytest.mark.task("table-works")
def test_orders_belongs_to_shop(db):
    orders_exist(db)
    assert sql(db, "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'orders'") == "shop", (
        "orders is not owned by the role shop, like the other tables")


@pytest.mark.task("table-works")
def test_app_can_place_a_new_order(db):
    orders_exist(db)
    seq = sql(db, "SELECT pg_get_serial_sequence('public.orders', 'id')")
    assert seq, "orders.id no longer takes its value from a sequence: new orders would need an id by hand"
    state = sql(db, f"SELECT last_value || ' ' || is_called FROM {seq}")
    # Insert as the app's role and roll back; the sequence is put back as it was afterwards.
    got = sql(db, "BEGIN; SET ROLE shop_app; "
                  "INSERT INTO orders (customer_id, placed_at, total_cents) VALUES (1, now(), 100) RETURNING id > "
                  "(SELECT coalesce(max(id), 0) FROM orders WHERE id <> currval(pg_get_serial_sequence('orders', 'id'))); "
                  "ROLLBACK")
    if state and re.fullmatch(r"\d+ [tf]", state):
        value, called = state.split()
        sql(db, f"SELECT setval('{seq}', {value}, {'true' if called == 't' else 'false'})")
    assert got is not None, "the app's role (shop_app) cannot insert a new order"
    assert "t" in got.splitlines(), "a new order gets an id that is already taken: the id sequence is behind"


# --- later-changes-kept ---------------------------------------------------------------------

@pytest.mark.task("later-changes-kept")
@pytest.mark.parametrize("table", ["customers", "tickets"])
def test_changes_since_the_drop_are_kept(db, expected, table):
    orders_exist(db)  # kept while bringing orders back: nothing is recovered yet otherwise
    got = summary(db, table)
    assert got is not None, f"the table {table} cannot be read on the production instance"
    assert got == expected[table], (
        f"{table} is not as the shop left it: changes made after the DROP are lost, or something else changed it")


@pytest.mark.task("later-changes-kept")
def test_production_runs_from_its_own_data_folder(db):
    orders_exist(db)
    assert sql(db, "SHOW data_directory") == MAIN, f"the instance on port 5432 does not run from {MAIN}"


@pytest.mark.task("later-changes-kept")
def test_postgres_programs_are_the_packaged_ones(db, modified):
    orders_exist(db)
    changed = [p for p in ("postgres", "psql", "pg_dump") if modified(f"{PG}/{p}")]
    assert not changed, f"{PG}/{changed[0] if changed else ''} is not the packaged program; reinstall it"


# --- scratch-stopped ------------------------------------------------------------------------

@pytest.mark.task("scratch-stopped")
def test_only_the_production_instance_runs(db):
    orders_exist(db)  # the recovery is done first
    args = db.run("/usr/bin/ps -eo args=").stdout.splitlines()
    servers = [a for a in args if re.match(rf"^{re.escape(PG)}/postgres\b", a)]
    others = [a for a in servers if f"-D {MAIN}" not in a]
    assert servers, "PostgreSQL is not running"
    assert not others, "a second PostgreSQL instance is still running; stop it once the table is back"
