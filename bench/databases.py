"""The bench's databases and cache: a seeded SQLite file, a seeded PostgreSQL database, a Redis db.

Seeding runs once: ``seed_demo`` keeps existing orders, so a second run only
migrates. Both databases are the bench's own; Redis db 15 is flushed before
each scenario that uses it, and nothing else is.
"""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

from bench.scenario import ScenarioError
from bench.servers import DATA_DIR, PROJECT_ROOT, base_env

SEED_ORDERS = 50_000
SQLITE_PATH = DATA_DIR / "bench.sqlite3"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
PREPARE_TIMEOUT_SECONDS = 240


def sqlite_url() -> str:
    return f"sqlite:///{SQLITE_PATH}"


def postgres_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_admin_url(url: str) -> str:
    """The same server's ``postgres`` database, to create the bench database and count connections."""
    return urlsplit(url)._replace(path="/postgres").geturl()


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def prepare_sqlite() -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    migrate_and_seed(sqlite_url())


def prepare_postgres(url: str) -> None:
    """Create the bench database if it is missing, then migrate and seed it."""
    name = urlsplit(url).path.lstrip("/")
    try:
        with psycopg.connect(postgres_admin_url(url), autocommit=True, connect_timeout=5) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise ScenarioError(f"PostgreSQL at {url} is not usable: {error}") from error
    migrate_and_seed(url)


def migrate_and_seed(database_url: str) -> None:
    env = base_env() | {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    for arguments in (["migrate", "--noinput", "-v0"], ["seed_demo", "--orders", str(SEED_ORDERS)]):
        started = time.monotonic()
        try:
            result = subprocess.run(
                [sys.executable, "manage.py", *arguments],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=PREPARE_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ScenarioError(f"manage.py {arguments[0]} took over {PREPARE_TIMEOUT_SECONDS} s") from error
        if result.returncode != 0:
            raise ScenarioError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
        if arguments[0] == "seed_demo" and "already present" not in result.stdout:
            print(f"  seeded {SEED_ORDERS:,} orders in {time.monotonic() - started:.0f} s", flush=True)


def flush_redis(url: str) -> None:
    """Empty the bench's Redis database, so every scenario starts with a cold shared cache."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            client.flushdb()
        finally:
            client.close()
    except redis.RedisError as error:
        raise ScenarioError(f"Redis at {url} is not usable: {error}") from error


def count_connections(admin_url: str, database: str) -> int:
    """Open connections to ``database`` (pg_stat_activity), not counting this one."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        ).fetchone()
    return int(row[0]) if row else 0
