"""Grade the inventory app on `web` and its PostgreSQL on `db`.

PostgreSQL must serve on the port drawn for this attempt (`params: db_port`). Data the app
must show is planted in the database through `db`'s own unix socket, with a
random value per run: a page that does not really come from the database cannot show it.
"""

import ipaddress
import secrets

import pytest

PSQL = "/usr/lib/postgresql/15/bin/psql"
CONF = "/etc/inventory/inventory.conf"


def _conf(web) -> dict:
    """The app's KEY=VALUE settings, as the app itself reads them (one read, no existence probe)."""
    f = web.run("/bin/cat %s", CONF)
    if f.rc != 0:
        return {}
    conf = {}
    for line in f.stdout.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            conf[key.strip()] = value.strip().strip('"')
    return conf


@pytest.fixture(scope="session")
def port(params) -> int:
    """The port PostgreSQL must serve on in this attempt."""
    return int(params["db_port"])


def _as_postgres(db, port: int, sql: str):
    """Run SQL on db as the postgres superuser over the local socket (not through the network)."""
    return db.run(f"cd / && /usr/sbin/runuser -u postgres -- {PSQL} -p %s -d inventory -v ON_ERROR_STOP=1 -tAc %s",
                  str(port), sql)


def _from_web(web, port: int, password: str, sql: str):
    """Run SQL from web as the app's database user, over the lab network to db on `port`."""
    return web.run(
        f"/usr/bin/env PGPASSWORD=%s PGCONNECT_TIMEOUT=3 {PSQL} -h db -p %s -U inventory -d inventory "
        "-w -tAc %s", password, str(port), sql)


@pytest.fixture(scope="module")
def planted(db, port):
    """A product row with a random SKU and name, inserted on db once for the checks that read it
    back (from web as the app's user, and through the app's page), and removed afterwards."""
    token = secrets.token_hex(5)
    sku, name = f"QA-{token}", f"Probe widget {token}"
    ins = _as_postgres(db, port, f"INSERT INTO products (sku, name, qty) VALUES ('{sku}', '{name}', 7)")
    assert ins.rc == 0, f"PostgreSQL on db is not running on port {port}, or the inventory database is gone"
    yield sku, name
    _as_postgres(db, port, f"DELETE FROM products WHERE sku = '{sku}'")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:  # "*" and the like: every address
        return False


# -- db-listening -----------------------------------------------------------------------------

@pytest.mark.task("db-listening")
def test_postgres_listens_beyond_loopback(db, port):
    # ss by absolute path, asked only for TCP listeners on the port: one exec instead of the
    # three that testinfra's socket module spends (a `command -v`, system info, a full listing).
    listening = db.run("/usr/bin/ss -Hltn %s", f"sport = :{port}").stdout.splitlines()
    addresses = [line.split()[3].rsplit(":", 1)[0].strip("[]") for line in listening if len(line.split()) > 3]
    assert addresses, f"nothing listens on TCP port {port} on db"
    assert any(not _is_loopback(a) for a in addresses), (
        f"PostgreSQL on db listens on port {port} only on the loopback address: other hosts cannot reach it")


@pytest.mark.task("db-listening")
def test_postgres_holds_the_port(db, port):
    # Any program could listen there: PostgreSQL itself must say it serves on this port.
    cmd = _as_postgres(db, port, "SHOW port")
    assert cmd.rc == 0 and cmd.stdout.strip() == str(port), f"PostgreSQL on db does not serve on port {port}"


@pytest.mark.task("db-listening")
def test_web_reaches_db_on_the_port(web, port):
    cmd = web.run("/usr/bin/timeout 5 /bin/nc.openbsd -z -w 3 db %s", str(port))
    assert cmd.rc == 0, f"from web, a TCP connection to db port {port} is refused or times out"


# -- db-auth ----------------------------------------------------------------------------------

@pytest.mark.task("db-auth")
def test_app_user_can_read_products_from_web(web, planted, port):
    sku, name = planted
    password = _conf(web).get("DB_PASSWORD", "")
    cmd = _from_web(web, port, password, f"SELECT name FROM products WHERE sku = '{sku}'")
    assert cmd.rc == 0, (
        "from web, the database user inventory cannot log in to db with the password in the app's "
        "config: " + (cmd.stderr.strip().splitlines() or ["no error shown"])[0][:200])
    assert cmd.stdout.strip() == name, "from web, the inventory user logs in but does not read the products table"


@pytest.mark.task("db-auth")
def test_wrong_password_is_refused(web, port):
    cmd = _from_web(web, port, "wrong-" + secrets.token_hex(8), "SELECT 1")
    assert cmd.rc != 0 and "password authentication failed" in cmd.stderr, (
        "from web, logging in as inventory must need the right password: a wrong one is not refused "
        "with 'password authentication failed'")


# -- app-healthy ------------------------------------------------------------------------------

@pytest.mark.task("app-healthy")
def test_health_returns_200(web):
    cmd = web.run("/usr/bin/curl -sS -o /dev/null -w '%%{http_code}' --max-time 8 %s", "http://127.0.0.1:8080/health")
    code = cmd.stdout.strip()
    assert code == "200", f"GET http://web:8080/health answers {code or 'nothing'}, not 200"


@pytest.mark.task("app-healthy")
def test_product_list_shows_live_data(web, planted):
    _, name = planted
    cmd = web.run("/usr/bin/curl -sS --max-time 8 %s", "http://127.0.0.1:8080/")
    assert name in cmd.stdout, (
        "the product list on http://web:8080/ does not show a product just added to the database")
