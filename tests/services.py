"""Real services for the deployment tests: PostgreSQL, Redis and Airflow's components as processes
on free ports of 127.0.0.1, their data and logs in temporary folders, all stopped afterwards
(process group and every descendant), even when a test fails.

    with Services(log_dir) as services:
        pg_url = start_postgres(services, data_root)
        airflow = Airflow(services, airflow_env(...))
        ...
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceExited(RuntimeError):
    """A service that should be running has exited: waiting for it any longer is pointless."""


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.5):
    """Call `check` until it returns something truthy (returned) or `timeout` seconds pass (TimeoutError).
    Exceptions raised by `check` count as not yet, except ServiceExited."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except ServiceExited:
            raise
        except Exception as error:
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s (last error: {last_error!r})")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


class Service:
    """One started process, in a session of its own, logging to one file."""

    def __init__(self, name: str, process: subprocess.Popen, log: Path, stop_signal: int):
        self.name, self.process, self.log, self.stop_signal = name, process, log, stop_signal

    def running(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30) -> None:
        # Collected first: a task process sits in a process group of its own and would be orphaned.
        descendants = _descendants(self.process.pid)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        for pid in descendants:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class Services:
    """Starts processes and stops them all, last started first, when the `with` block ends.
    If the block fails, the tail of every log is printed (pytest shows it with the failure)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[Service] = []
        self.cleanups: list[Callable[[], object]] = []  # run after every process is stopped
        log_dir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Services:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is not None:
            print(self.diagnostics())
        self.stop_all()

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        cwd: Path = REPO,
    ) -> Service:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                cwd=cwd,
            )
        service = Service(name, process, log, stop_signal)
        self.started.append(service)
        return service

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()
        while self.cleanups:
            self.cleanups.pop()()

    def diagnostics(self, lines: int = 40) -> str:
        parts = []
        for service in self.started:
            state = "running" if service.running() else f"exited {service.process.returncode}"
            parts.append(f"----- {service.name} ({state}), last {lines} lines of {service.log}\n")
            parts.append(service.tail(lines) + "\n")
        return "".join(parts)


# ---------------------------------------------------------------- PostgreSQL and Redis


def postgres_bin_dir() -> Path:
    """The newest server installed from Debian's packages (postgresql-NN)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        raise RuntimeError("PostgreSQL server not installed (apt-get install postgresql)")
    return found[-1].parent


def start_postgres(services: Services, database: str = "airflow") -> str:
    """A private PostgreSQL server on a free port; returns the SQLAlchemy URL of a new, empty `database`.

    The server refuses to run as root, so under root (CI) it runs as the `postgres` user that Debian's
    package creates, with its data in a folder of its own outside pytest's root-only temp folder."""
    import psycopg2

    bin_dir = postgres_bin_dir()
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="paperpulse-pg-"))
    services.cleanups.append(lambda: shutil.rmtree(root, ignore_errors=True))
    if run_as:
        account = pwd.getpwnam(run_as)
        os.chown(root, account.pw_uid, account.pw_gid)
    data, port, superuser = root / "data", free_port(), "airflow"
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        user=run_as,
        cwd=root,
    )
    services.start(
        "postgres",
        [
            str(bin_dir / "postgres"),
            *("-D", str(data), "-p", str(port), "-k", str(root)),
            *("-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"),
            # a throwaway server: durability off, so Airflow's many small commits cost nothing
            *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
        ],
        user=run_as,
        stop_signal=signal.SIGINT,  # fast shutdown: no waiting for clients to disconnect
        cwd=root,
    )

    connect = lambda: psycopg2.connect(host="127.0.0.1", port=port, user=superuser, dbname="postgres")  # noqa: E731
    con = wait_until(connect, 60, "postgres accepting connections")
    try:
        con.autocommit = True  # CREATE DATABASE refuses to run in a transaction
        con.cursor().execute(f"create database {database}")
    finally:
        con.close()
    return f"postgresql+psycopg2://{superuser}@127.0.0.1:{port}/{database}"


def start_redis(services: Services, data_dir: Path) -> str:
    """A private Redis server on a free port, persisting nothing; returns its URL."""
    import redis

    if shutil.which("redis-server") is None:
        raise RuntimeError("Redis server not installed (apt-get install redis-server)")
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    services.start(
        "redis",
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(data_dir)),
        ],
    )
    wait_until(lambda: redis.Redis(host="127.0.0.1", port=port).ping(), 30, "redis")
    return f"redis://127.0.0.1:{port}/0"


# ---------------------------------------------------------------- Airflow

DAG_ID = "paperpulse_daily"
BUILD_POOL = "paperpulse_build"
FETCH_POOL = "paperpulse_fetch"
CORE_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
FINISHED = {"success", "failed"}


def airflow_env(home: Path, warehouse: Path, **settings: str) -> dict[str, str]:
    """The environment every process of one Airflow deployment shares; `settings` add or override.
    Nothing from the caller's own AIRFLOW*/PAPERPULSE_* variables leaks in."""
    api_port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PAPERPULSE_"))}
    return {
        **inherited,
        "AIRFLOW_HOME": str(home),
        "PYTHONPATH": str(REPO),  # components and their tasks import this checkout
        "PAPERPULSE_HOME": str(warehouse),
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        # Only triggered runs: unpausing the DAG must not also start its schedule's latest run.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        # Log servers on free ports, so that tests running side by side never collide.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        **settings,
    }


class Airflow:
    """One Airflow deployment driven as an operator would: the `airflow` CLI and the REST API v2."""

    def __init__(self, services: Services, env: dict[str, str]):
        self.services, self.env = services, env
        self.home = Path(env["AIRFLOW_HOME"])
        self.url = f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}"
        self.password = secrets.token_urlsafe(12)
        self._token: str | None = None

    def cli(self, *args: str, timeout: float = 300) -> str:
        completed = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO
        )
        if completed.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} exited {completed.returncode}:\n"
                f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        return completed.stdout

    def initialize(self) -> None:
        """What the compose file's airflow-init does: migrate the metadata DB, set the admin
        user's password, create the build-file and fetch pools."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({"admin": self.password}))
        self.cli("db", "migrate")
        self.cli("pools", "set", BUILD_POOL, "1", "the DuckDB build file has one writer")
        self.cli("pools", "set", FETCH_POOL, "1", "one process at a time fetches from the sources")

    def start(self, *command: str, name: str | None = None, **env: str) -> Service:
        return self.services.start(name or command[0], [AIRFLOW, *command], env={**self.env, **env})

    def start_core(self) -> None:
        for component in CORE_COMPONENTS:
            self.start(component)

    def check_running(self) -> None:
        for service in self.services.started:
            if not service.running():
                raise ServiceExited(f"{service.name} exited {service.process.returncode}")

    def wait_healthy(self, timeout: float = 240) -> None:
        """Until the API server reports the metadata DB, scheduler, triggerer and DAG processor healthy."""

        def healthy() -> bool:
            self.check_running()
            health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=10).json()
            return all(
                (health.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
            )

        wait_until(healthy, timeout, "airflow components healthy", interval=1)

    def token(self) -> str:
        if self._token is None:
            response = httpx.post(
                f"{self.url}/auth/token", json={"username": "admin", "password": self.password}, timeout=30
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> dict:
        response = httpx.request(
            method,
            f"{self.url}/api/v2/{path}",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    def wait_for_dag(self, dag_id: str = DAG_ID, timeout: float = 240) -> dict:
        """Until the DAG processor has parsed the DAG and the API server serves it."""

        def parsed() -> dict:
            self.check_running()
            return self.api("GET", f"dags/{dag_id}")

        return wait_until(parsed, timeout, f"DAG {dag_id} parsed", interval=1)

    def wait_for_run(self, run_id: str, dag_id: str = DAG_ID, timeout: float = 900) -> str:
        """Until the run finishes; its final state."""

        def finished() -> str | None:
            self.check_running()
            state = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}")["state"]
            return state if state in FINISHED else None

        try:
            return wait_until(finished, timeout, f"run {run_id}", interval=2)
        except (TimeoutError, ServiceExited) as error:
            raise AssertionError(f"{error}\n{self.diagnostics(run_id, dag_id)}") from error

    def task_instances(self, run_id: str, dag_id: str = DAG_ID) -> list[dict]:
        found = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        return sorted(found["task_instances"], key=lambda ti: (ti["start_date"] or "", ti["map_index"]))

    def diagnostics(self, run_id: str, dag_id: str = DAG_ID) -> str:
        """Task states (with hosts), the log tail of every task that did not succeed, component logs."""
        parts = [f"===== run {run_id} of {dag_id}\n"]
        try:
            for ti in self.task_instances(run_id, dag_id):
                parts.append(f"{ti['task_id']}[{ti['map_index']}] {ti['state']} on {ti['hostname']}\n")
                if ti["state"] != "success":
                    for log in sorted(
                        self.home.glob(
                            f"logs/dag_id={dag_id}/run_id={run_id}/task_id={ti['task_id']}/**/*.log"
                        )
                    ):
                        parts.append(
                            f"  --- {log}\n"
                            + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                            + "\n"
                        )
        except Exception as error:
            parts.append(f"(no task instances: {error!r})\n")
        return "".join(parts) + self.services.diagnostics()


def worker_hostname() -> str:
    """`[core] hostname_callable` for several Celery workers on one machine: the name each worker
    (and so each task it runs) reports, as separate machines would report theirs."""
    return os.environ["PAPERPULSE_WORKER_HOSTNAME"]
