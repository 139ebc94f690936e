"""The production deployment of docs/deploy.md, run as the page writes it.

The SQL, the environment file, the nginx site and the systemd units are read from the page's fenced blocks
(each names its file on its first line), so the page cannot drift from what is tested. Only what a test must
change is changed, each by a rule that fails when it no longer matches the page: the listening ports (free
ones, on 127.0.0.1 only, the IPv6 lines left out), the upstream's port, the TLS certificate (a self-signed
one made here), the log and data paths (in temporary folders), the database's address (the test's
PostgreSQL server, with the SQL's role named as peer authentication would name it), SMTP (left out: mail goes
to the outbox) and the number of workers (2, the cores of the test machine).

The platform runs with the service's command line (`observatory serve --workers 2`), nginx is Debian's
`/usr/sbin/nginx` with the site inside an http block like Debian's own, and every request goes through nginx
over HTTPS as a browser's would: the scheme nginx forwards is its own `$scheme`, not a header the test writes.
The client's address is told apart from nginx's by connecting from other loopback addresses (127.0.0.2 and
127.0.0.3 are this machine too): nginx and the trusted proxy are 127.0.0.1, a client is not.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from observatory import __version__
from observatory.config import Settings
from observatory.network.sources.rir import LATEST

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "deploy.md"
NGINX = Path("/usr/sbin/nginx")
# The platform's command, installed in the test's own virtualenv, stands for /srv/observatory/.venv/bin/observatory.
OBSERVATORY = Path(sys.executable).with_name("observatory")
HOST = "observatory.example.org"
START_TIMEOUT = 120  # two workers import the whole platform on a busy 2-core machine
JOB_TIMEOUT = 300

SITE = "/etc/nginx/sites-available/observatory"
ENV_FILE = "/etc/observatory/observatory.env"
SERVICE = "/etc/systemd/system/observatory.service"
JOBS = ("reminders", "refresh", "backup")
UNITS = (SERVICE, *(f"/etc/systemd/system/observatory-{job}.{kind}" for job in JOBS for kind in ("service", "timer")))


def job(name: str) -> str:
    """The path of a daily job's service."""
    return f"/etc/systemd/system/observatory-{name}.service"


# --- The page's blocks --------------------------------------------------------------------------------------


def page_blocks() -> list[str]:
    """The text of every fenced block of docs/deploy.md, in order."""
    return re.findall(r"^```[\w-]*\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)


def block(path: str) -> str:
    """The one block whose first line names ``path`` (``# /etc/…``)."""
    found = [b for b in page_blocks() if b.splitlines()[0] == f"# {path}"]
    assert len(found) == 1, f"docs/deploy.md has {len(found)} blocks for {path}"
    return str(found[0])


def setup_sql() -> str:
    """The SQL the page gives to psql (its here-document ``<<'SQL' … SQL``)."""
    found = [m for b in page_blocks() for m in re.findall(r"<<'SQL'\n(.*?)^SQL$", b, re.M | re.S)]
    assert len(found) == 1, "docs/deploy.md should give the database's SQL in one here-document"
    return str(found[0])


ASSIGNMENT = re.compile(r"^(#?)(OBSERVATORY_[A-Z0-9_]+)=(.*)$")
# What systemd's EnvironmentFile= and sh's `.` both read as the same literal value: no quotes, spaces or $.
PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_./:@?=,+%-]*$")


def environment_file() -> tuple[dict[str, str], set[str]]:
    """The page's environment file: the variables it sets, and those it names in a commented-out line."""
    values: dict[str, str] = {}
    commented: set[str] = set()
    for line in block(ENV_FILE).splitlines():
        match = ASSIGNMENT.match(line)
        if match is None:
            assert line == "" or line.startswith("#"), f"not a comment nor KEY=value: {line!r}"
            continue
        hash_, name, value = match.groups()
        assert PLAIN_VALUE.match(value), f"{name}: systemd and sh would read {value!r} differently"
        if hash_:
            commented.add(name)
        else:
            assert name not in values, f"{name} is set twice"
            values[name] = value
    return values, commented


def unit_values(unit: str, key: str) -> list[str]:
    """Every value of ``key`` in a unit file, continuation lines (ending with a backslash) joined."""
    joined = re.sub(r"\\\n\s*", " ", unit)
    return [line.split("=", 1)[1] for line in joined.splitlines() if line.startswith(f"{key}=")]


def command_line(unit: str) -> list[str]:
    """The unit's one ``ExecStart=`` as the words systemd runs: ``$$`` is ``$`` and ``%%`` is ``%`` (no other
    specifier nor variable is used, so nothing else is expanded)."""
    (line,) = unit_values(unit, "ExecStart")
    assert not re.search(r"%[^%]|\$[^$]", line.replace("%%", "").replace("$$", "")), line
    return shlex.split(line.replace("$$", "$").replace("%%", "%"))


def substitute(text_: str, pattern: str, replacement: str, count: int) -> str:
    """``text_`` with ``pattern`` replaced, which must match exactly ``count`` times: when the page changes shape,
    the test says so instead of testing something else."""
    result, n = re.subn(pattern, replacement, text_, flags=re.M)
    assert n == count, f"{pattern!r} matched {n} times in docs/deploy.md's block, not {count}"
    return result


# --- Static checks of the page ------------------------------------------------------------------------------


def test_the_environment_file_names_every_setting_and_only_settings() -> None:
    values, commented = environment_file()
    named = {*values, *commented}
    fields = {f"OBSERVATORY_{name.upper()}" for name in Settings.model_fields}
    assert named - fields == set(), f"not settings of observatory.config.Settings: {sorted(named - fields)}"
    # What this deployment cannot do without (a setting added later may be left to its default: configuration.md
    # lists them all, and its own test keeps it complete).
    needed = ("HOME", "DATABASE_URL", "BASE_URL", "TRUSTED_PROXIES", "SMTP_HOST", "MAIL_FROM", "LOG_FORMAT")
    assert [name for name in needed if f"OBSERVATORY_{name}" not in values] == []
    settings = Settings.model_validate({name.removeprefix("OBSERVATORY_").lower(): v for name, v in values.items()})
    # The values are valid, and say what the rest of the page relies on.
    assert settings.trusted_proxies == ("127.0.0.1",) and settings.log_format == "json"
    assert settings.base_url == f"https://{HOST}" and settings.database_url.startswith("postgresql+psycopg://")
    site = block(SITE)
    assert re.search(rf"^\s*server_name {re.escape(HOST)};", site, re.M)
    (body_limit,) = re.findall(r"^\s*client_max_body_size (\d+);", site, re.M)
    assert int(body_limit) == settings.max_upload_bytes  # in bytes, as the platform counts


def test_sh_reads_the_environment_file_as_systemd_does(tmp_path: Path) -> None:
    values, _ = environment_file()
    path = tmp_path / "observatory.env"
    path.write_text(block(ENV_FILE), encoding="utf-8")
    # The wrapper's way: `set -a` exports what `.` assigns; the environment starts empty but for PATH.
    shell = subprocess.run(["sh", "-c", f"set -a; . {path}; exec env"], env={"PATH": os.environ["PATH"]},
                           capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    read = dict(line.split("=", 1) for line in shell.stdout.splitlines() if line.startswith("OBSERVATORY_"))
    assert read == values


def wrapper() -> str:
    """The page's wrapper for commands run by hand (the block that starts ``#!/bin/sh``)."""
    found = [b for b in page_blocks() if b.startswith("#!/bin/sh\n")]
    assert len(found) == 1, "docs/deploy.md should give one wrapper script"
    return found[0]


def test_the_refresh_job_loads_the_registries_public_addresses() -> None:
    words = command_line(block(job("refresh")))
    assert words[:4] == ["/srv/observatory/.venv/bin/observatory", "network", "ingest", "rir_delegated"]
    assert words[4:] == list(LATEST.values())  # the addresses the source itself knows, in its order


def test_the_unit_files_verify(tmp_path: Path) -> None:
    systemd_analyze = shutil.which("systemd-analyze")
    assert systemd_analyze, "systemd-analyze is missing: scripts/system-packages.sh installs systemd"
    folder = tmp_path / "units"
    folder.mkdir()
    paths = []
    for unit in UNITS:
        path = folder / Path(unit).name
        path.write_text(localise(block(unit), tmp_path), encoding="utf-8")
        paths.append(str(path))
    verified = subprocess.run([systemd_analyze, "verify", "--man=no", *paths], capture_output=True, text=True,
                              timeout=60)  # fmt: skip
    output = verified.stdout + verified.stderr
    assert verified.returncode == 0, output
    # Unknown keys and bad values are only warned about: any line about these files is a mistake in them.
    assert [line for line in output.splitlines() if str(folder) in line or "observatory" in line] == [], output
    for unit in UNITS:
        if unit.endswith(".timer"):
            calendar = unit_values(block(unit), "OnCalendar")
            assert len(calendar) == 1 and subprocess.run([systemd_analyze, "calendar", calendar[0]],
                                                         capture_output=True, timeout=30).returncode == 0  # fmt: skip


def localise(unit: str, root: Path) -> str:
    """A unit of the page with the paths of this machine's test: the virtualenv's command, a working folder, the
    environment file and the backup folder under ``root``."""
    unit = unit.replace("/srv/observatory/.venv/bin/observatory", str(OBSERVATORY))
    unit = unit.replace(ENV_FILE, str(root / "observatory.env"))
    unit = unit.replace("/var/backups/observatory", str(root / "backups"))
    return unit.replace("/srv/observatory", str(root / "srv"))


# --- The deployment, running --------------------------------------------------------------------------------


@dataclass
class Deployment:
    """The platform and nginx as the page deploys them, and where to find what they wrote."""

    root: Path
    env: dict[str, str]
    database_url: str  # the platform's database, as the PostgreSQL superuser sees it (for the checks)
    app_port: int
    http_port: int
    https_port: int
    certificate: Path
    app_log: Path
    nginx_log: Path
    server: subprocess.Popen[bytes]

    def client(self, source: str = "127.0.0.3") -> httpx.Client:
        """A client of nginx over HTTPS (checking its certificate), connecting from ``source``."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        transport = httpx.HTTPTransport(verify=context, local_address=source)
        return httpx.Client(base_url=f"https://127.0.0.1:{self.https_port}", transport=transport, trust_env=False,
                            headers={"host": HOST}, timeout=30)  # fmt: skip

    def direct(self, source: str) -> httpx.Client:
        """A client of the platform itself, past nginx, connecting from ``source``."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=f"http://127.0.0.1:{self.app_port}", transport=transport, trust_env=False,
                            headers={"host": HOST}, timeout=30)  # fmt: skip

    def app_lines(self) -> list[dict[str, Any]]:
        """The platform's log, one JSON object a line (OBSERVATORY_LOG_FORMAT=json, as the page sets it)."""
        return [json.loads(line) for line in self.app_log.read_text().splitlines() if line.startswith("{")]

    def access_line(self, request_id: str) -> str:
        """The message of the platform's access-log line of a request."""
        return eventually(lambda: [str(r["message"]) for r in self.app_lines()
                                   if r["name"] == "uvicorn.access" and r["request_id"] == request_id])  # fmt: skip

    def nginx_line(self, request_id: str) -> str:
        """nginx's access-log line of a request (the site's log format ends it with ``id=…``)."""
        return eventually(lambda: [line for line in self.nginx_log.read_text().splitlines()
                                   if f" id={request_id} " in line])  # fmt: skip

    def nginx_errors(self) -> list[str]:
        """The lines of nginx's error logs at level error or worse, but those of the start: while the workers
        start, nginx cannot connect to them (the test waits for them through nginx)."""
        lines = [line for name in ("error.log", "observatory.error.log")
                 for line in (self.root / "nginx" / name).read_text().splitlines()]  # fmt: skip
        serious = [line for line in lines if re.search(r"\[(error|crit|alert|emerg)\]", line)]
        return [line for line in serious if "connect() failed (111: Connection refused)" not in line]

    def run(self, words: list[str]) -> subprocess.CompletedProcess[str]:
        """A command of the page, with the platform's environment, in its working folder."""
        return subprocess.run(words, env=self.env, cwd=self.root / "srv", capture_output=True, text=True,
                              timeout=JOB_TIMEOUT)  # fmt: skip


def eventually(lines: Callable[[], list[str]]) -> str:
    """The one line ``lines`` finds, waited for: a server writes a request's log line after its answer has gone,
    so the client may read the log first."""
    deadline = time.monotonic() + 10
    while True:
        found = lines()
        if found or time.monotonic() > deadline:
            assert len(found) == 1, f"{len(found)} log lines found: {found}"
            return found[0]
        time.sleep(0.1)


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql() -> str:
    """PostgreSQL's own psql (the newest installed), as the page runs it."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    program = str(found[-1]) if found else shutil.which("psql")
    assert program, "psql is missing (scripts/system-packages.sh installs postgresql)"
    return program


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the site's host and 127.0.0.1, as certbot's files would stand."""
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return cert, key


def nginx_site(folder: Path, ports: dict[str, int], cert: Path, key: Path) -> str:
    """The page's site, listening on the test's ports of 127.0.0.1 (IPv4 only), proxying to the test's
    platform, with the test's certificate and logs; every other line as written."""
    site = block(SITE)
    site = substitute(site, r"^(\s*)listen \[::\]:\d+[^;]*;\n", "", 2)  # servers in tests listen on 127.0.0.1 only
    site = substitute(site, r"^(\s*)listen 80;", rf"\1listen 127.0.0.1:{ports['http']};", 1)
    site = substitute(site, r"^(\s*)listen 443 ssl", rf"\1listen 127.0.0.1:{ports['https']} ssl", 1)
    site = substitute(site, r"^(\s*)server 127\.0\.0\.1:8000;", rf"\1server 127.0.0.1:{ports['app']};", 1)
    site = substitute(site, r"^(\s*)ssl_certificate \S+;", rf"\1ssl_certificate {cert};", 1)
    site = substitute(site, r"^(\s*)ssl_certificate_key \S+;", rf"\1ssl_certificate_key {key};", 1)
    return substitute(site, r"/var/log/nginx/", f"{folder}/", 2)


def nginx_conf(folder: Path, site: str) -> str:
    """A whole nginx.conf: the main and http settings of Debian's own (gzip on included, which the site turns
    off), every file nginx writes in ``folder``, and the site included as sites-enabled/ is."""
    (folder / "observatory").write_text(site, encoding="utf-8")
    # As Debian's nginx.conf: workers as www-data when the master runs as root (which the test may).
    user = "user www-data;\n" if os.geteuid() == 0 else ""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "".join(f"    {kind}_temp_path {folder}/{kind}_temp;\n" for kind in kinds)
    return (f"{user}worker_processes 2;\ndaemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\n"
            "events {\n    worker_connections 256;\n}\n"
            "http {\n    sendfile on;\n    tcp_nopush on;\n    types_hash_max_size 2048;\n"
            "    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            "    ssl_prefer_server_ciphers on;\n"
            f"    access_log {folder}/access.log;\n    gzip on;\n{temp}"
            f"    include {folder}/observatory;\n}}\n")  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server this test started, gracefully, else for good."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def deployment(postgres_url: str) -> Iterator[Deployment]:
    """The page's deployment: its database, environment, service and nginx site, on free ports; everything
    started is stopped, and the database dropped, however the tests end."""
    assert NGINX.is_file(), "nginx is missing: scripts/system-packages.sh installs it"
    # Not under pytest's tmp folders: nginx's workers (www-data) must reach their temporary files through it.
    root = Path(tempfile.mkdtemp(prefix="observatory-deploy-"))
    root.chmod(0o755)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        cleanup.callback(admin.dispose)

        # 4. PostgreSQL: the page's SQL, run by psql as the superuser of the test's server.
        server_url = make_url(postgres_url)
        cleanup.callback(_drop_database, admin)
        created = subprocess.run([psql(), "-h", str(server_url.host), "-p", str(server_url.port), "-U", "postgres",
                                  "-d", "postgres", "-v", "ON_ERROR_STOP=1"], input=setup_sql(), capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        assert created.returncode == 0, created.stderr

        # 3. The environment file, with this machine's folders and database address, without SMTP.
        values, _ = environment_file()
        page_url = make_url(values["OBSERVATORY_DATABASE_URL"])
        assert page_url.database == "observatory" and page_url.query.get("host") == "/var/run/postgresql"
        # Peer authentication names the role after the system user; the test runs as another, so it names it.
        database_url = page_url.set(host=server_url.host, port=server_url.port, username="observatory", query={})
        values.update(OBSERVATORY_HOME=str(root / "srv" / "var"),
                      OBSERVATORY_DATABASE_URL=database_url.render_as_string(hide_password=False))  # fmt: skip
        values = {k: v for k, v in values.items() if not k.startswith("OBSERVATORY_SMTP_")}
        (root / "srv" / "var").mkdir(parents=True)
        (root / "backups").mkdir()
        (root / "observatory.env").write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
        env.update(values, PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
        init = subprocess.run([str(OBSERVATORY), "init"], env=env, cwd=root / "srv", capture_output=True, text=True,
                              timeout=JOB_TIMEOUT)  # fmt: skip
        assert init.returncode == 0, init.stdout + init.stderr

        # 5. The service's command line, on a free port, with two workers.
        ports = {"app": free_port(), "http": free_port(), "https": free_port()}
        words = command_line(localise(block(SERVICE), root))
        assert words[1:] == ["serve", "--host", "127.0.0.1", "--port", "8000", "--workers", "4"]
        words[5], words[7] = str(ports["app"]), "2"
        app_log = root / "observatory.log"  # what the journal would hold: the service's standard output and error
        with app_log.open("wb") as out:
            server = subprocess.Popen(words, env=env, cwd=root / "srv", stdout=out, stderr=subprocess.STDOUT)
        cleanup.callback(stop, server)

        # 6. nginx with the page's site.
        folder = root / "nginx"
        folder.mkdir()
        cert, key = make_certificate(folder)
        (folder / "nginx.conf").write_text(nginx_conf(folder, nginx_site(folder, ports, cert, key)), encoding="utf-8")
        command = [str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cleanup.callback(stop, nginx)

        superuser_url = server_url.set(database="observatory").render_as_string(hide_password=False)
        deployed = Deployment(root, env, superuser_url, ports["app"], ports["http"], ports["https"], cert, app_log,
                              folder / "observatory.access.log", server)  # fmt: skip
        _wait_until_served(deployed, nginx)
        yield deployed


def _drop_database(admin: Any) -> None:
    """The page's database and role gone from the test's server (it serves the other tests of the run too)."""
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS observatory WITH (FORCE)"))
        connection.execute(text("DROP ROLE IF EXISTS observatory"))


def _wait_until_served(deployed: Deployment, nginx: subprocess.Popen[bytes]) -> None:
    """Until the health check answers through nginx (it answers 502 while no worker listens)."""
    deadline = time.monotonic() + START_TIMEOUT
    with deployed.client() as client:
        while True:
            assert deployed.server.poll() is None, deployed.app_log.read_text()[-3000:]
            assert nginx.poll() is None, (deployed.root / "nginx" / "error.log").read_text()[-3000:]
            with contextlib.suppress(httpx.TransportError):
                answer = client.get("/healthz")
                if answer.status_code == 200:
                    return
                # 502 while no worker listens yet; anything else is the page's configuration, which waiting won't fix
                assert answer.status_code == 502, f"{answer.status_code}: {answer.text[:500]}"
            assert time.monotonic() < deadline, deployed.app_log.read_text()[-3000:]
            time.sleep(0.3)


# --- Through nginx ------------------------------------------------------------------------------------------


def test_the_health_check_answers_through_nginx_from_both_workers(deployment: Deployment) -> None:
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT revision FROM registry_revision")).scalar_one()
    finally:
        engine.dispose()
    workers: set[int] = set()
    deadline = time.monotonic() + START_TIMEOUT  # the second worker may still be starting
    with deployment.client() as client:
        while len(workers) < 2 and time.monotonic() < deadline:
            # A new connection each time: nginx opens one to the platform per request, taken by a free worker.
            answer = client.get("/healthz", headers={"connection": "close"})
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
            body = answer.json()
            assert body["status"] == "ok" and body["database"] == "ok" and body["version"] == __version__
            assert body["revision"] == revision
            workers.add(body["worker"])
    assert len(workers) == 2, f"one worker answered: {workers}"
    assert deployment.server.pid not in workers  # the supervising process only supervises


def test_plain_http_moves_to_https(deployment: Deployment) -> None:
    with httpx.Client(trust_env=False, timeout=30) as client:
        answer = client.get(f"http://127.0.0.1:{deployment.http_port}/pledges?lang=fr", headers={"host": HOST})
    assert answer.status_code == 301 and answer.headers["location"] == f"https://{HOST}/pledges?lang=fr"


def test_the_https_scheme_and_the_client_address_reach_the_platform(deployment: Deployment) -> None:
    with deployment.client("127.0.0.3") as client:
        # A client may write its own X-Forwarded-For: nginx replaces it with the address it sees.
        answer = client.get("/account/login?lang=fr", headers={"x-forwarded-for": "203.0.113.9"})
    assert answer.status_code == 200
    cookies = answer.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"obs_lang", "obs_csrf"}
    assert all("; Secure" in c for c in cookies), cookies  # the platform knows the client came over HTTPS
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    # One id for the request in nginx's log and the platform's: nginx's $request_id, sent back to the client.
    request_id = answer.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert deployment.access_line(request_id).startswith('127.0.0.3:0 - "GET /account/login?lang=fr HTTP/1.0" 200')
    assert "203.0.113.9" not in deployment.app_log.read_text()
    assert deployment.nginx_line(request_id).startswith("127.0.0.3 [")


def test_one_time_tokens_stay_out_of_both_logs(deployment: Deployment) -> None:
    token = "Zq7mW2xkLr9tHc4v-one-time-token"
    with deployment.client() as client:
        answer = client.get(f"/account/reset/{token}?lang=fr")
    request_id = answer.headers["x-request-id"]
    line = deployment.nginx_line(request_id)  # the site's map writes the token as ...
    assert line.startswith("127.0.0.3 [") and '"GET /account/reset/...?lang=fr HTTP/1.1"' in line, line
    assert "/account/reset/…?lang=fr" in deployment.access_line(request_id)  # the platform's own redaction
    assert token not in deployment.nginx_log.read_text() and token not in deployment.app_log.read_text()


def test_a_client_that_is_no_trusted_proxy_is_not_believed(deployment: Deployment) -> None:
    forged = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.4"}
    with deployment.direct("127.0.0.2") as client:
        answer = client.get("/account/login?lang=fr", headers=forged)
    assert answer.status_code == 200
    cookies = answer.headers.get_list("set-cookie")
    assert cookies and not any("Secure" in c for c in cookies), cookies
    assert "strict-transport-security" not in answer.headers
    assert deployment.access_line(answer.headers["x-request-id"]).startswith("127.0.0.2:")
    # The same headers from nginx's address are believed: it is the address that decides, as configured.
    with deployment.direct("127.0.0.1") as client:
        trusted = client.get("/account/login?lang=fr", headers=forged)
    assert all("; Secure" in c for c in trusted.headers.get_list("set-cookie"))
    assert deployment.access_line(trusted.headers["x-request-id"]).startswith("198.51.100.4:0 ")


def test_pages_and_static_files_come_through_compressed_once(deployment: Deployment) -> None:
    with deployment.client() as client:
        page = client.get("/", headers={"accept-encoding": "gzip"})
        assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
        assert "<html" in page.text  # one gzip layer: decoded once, it is the page
        styles = re.findall(r'href="(/static/[^"?]+\.css)', page.text)
        assert styles, "the page links no stylesheet"
        sheet = client.get(styles[0], headers={"accept-encoding": "gzip"})
        raw = client.get(styles[0], headers={"accept-encoding": "identity"})
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers.get("content-encoding") == ("gzip" if len(raw.content) >= 500 else None)
    assert sheet.content == raw.content  # decoded once, the compressed answer is the file


def test_an_upload_up_to_the_limit_reaches_the_platform_and_a_larger_one_stops_at_nginx(
    deployment: Deployment,
) -> None:
    limit = Settings(max_upload_mb=float(deployment.env["OBSERVATORY_MAX_UPLOAD_MB"])).max_upload_bytes
    boundary = "observatory-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pledges.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    with deployment.client() as client:
        # The whole body at the limit: the platform reads the form (its CSRF check does) and refuses it, unsigned.
        whole = client.post("/secretariat/import?size=limit", headers=headers,
                            content=head + b"x" * (limit - len(head) - len(tail)) + tail)  # fmt: skip
        over = client.post("/secretariat/import?size=over", headers=headers,
                           content=head + b"x" * (limit + 1 - len(head) - len(tail)) + tail)  # fmt: skip
    assert whole.status_code == 403 and "x-request-id" in whole.headers, whole.text[:300]
    assert deployment.access_line(whole.headers["x-request-id"]).startswith('127.0.0.3:0 - "POST /secretariat/import')
    # One byte more is nginx's to refuse: the platform never sees it (no id, no line in its log).
    assert over.status_code == 413 and "x-request-id" not in over.headers and "nginx" in over.text
    assert "size=over" not in deployment.app_log.read_text()
    refused = f"client intended to send too large body: {limit + 1} bytes"
    errors = deployment.nginx_errors()
    assert [line for line in errors if refused in line and "size=over" in line] != [], errors
    assert [line for line in errors if refused not in line] == []  # nothing went wrong with the platform


def test_an_unknown_host_is_refused_by_the_platform(deployment: Deployment) -> None:
    with deployment.client() as client:
        answer = client.get("/healthz", headers={"host": "elsewhere.example.net"})
    assert answer.status_code == 400 and "x-request-id" in answer.headers  # the platform's answer, not nginx's


def test_the_wrapper_runs_commands_with_the_environment_file(deployment: Deployment) -> None:
    script = localise(wrapper(), deployment.root)
    # The test has no `observatory` user: the wrapper runs the command as the test's own.
    script = substitute(script, r"runuser -u observatory -- ", "", 1)
    path = deployment.root / "observatory-wrapper"
    path.write_text(script, encoding="utf-8")
    path.chmod(0o755)
    # Nothing from the test's environment but PATH (and a wide console): the settings can only come from the file.
    run = subprocess.run([str(path), "init"], env={"PATH": os.environ["PATH"], "COLUMNS": "200"}, cwd="/",
                         capture_output=True, text=True, timeout=JOB_TIMEOUT)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    port = make_url(deployment.database_url).port
    assert f"Database ready: postgresql+psycopg://observatory@127.0.0.1:{port}/observatory" in run.stdout


# --- The daily jobs -----------------------------------------------------------------------------------------


def delegated_file(registry: str, serial: str) -> str:
    """A small, valid delegation file of ``registry`` (the statistics exchange format, extended)."""
    n = list(LATEST).index(registry)
    records = [f"{registry}|KE|asn|{64512 + n}|1|20200101|allocated|H{n}",
               f"{registry}|KE|ipv4|10.{n}.0.0|256|20200101|assigned|H{n}",
               f"{registry}|KE|ipv6|2001:db8:{n}::|48|20200101|allocated|H{n}"]  # fmt: skip
    head = [f"2|{registry}|{serial}|{len(records)}|19830705|{serial}|+0000",
            *(f"{registry}|*|{kind}|*|1|summary" for kind in ("asn", "ipv4", "ipv6"))]  # fmt: skip
    return "\n".join([*head, *records]) + "\n"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base class's parameter name
        """Requests are not logged: the test checks what was loaded."""


def test_the_daily_jobs_run_with_the_environment_file(deployment: Deployment) -> None:
    reminders = deployment.run(command_line(localise(block(job("reminders")), deployment.root)))
    assert reminders.returncode == 0, reminders.stderr
    assert "0 mail(s) sent" in reminders.stdout

    # The refresh, from the registries' addresses served here: https://HOST/PATH is http://127.0.0.1:PORT/HOST/PATH.
    served = deployment.root / "public"
    serial = "20260821"
    handler = functools.partial(QuietHandler, directory=str(served))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as public:
        thread = threading.Thread(target=public.serve_forever, daemon=True)
        thread.start()
        try:
            words = command_line(localise(block(job("refresh")), deployment.root))
            local = []
            for registry, address in zip(LATEST, words[4:], strict=True):
                path = address.removeprefix("https://")
                (served / path).parent.mkdir(parents=True, exist_ok=True)
                (served / path).write_text(delegated_file(registry, serial))
                local.append(f"http://127.0.0.1:{public.server_address[1]}/{path}")
            refresh = deployment.run([*words[:4], *local])
        finally:
            public.shutdown()
            thread.join(timeout=10)
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            loads = connection.execute(text("SELECT edition, location, rows FROM source_load "
                                            "WHERE source = 'rir_delegated' ORDER BY id")).all()  # fmt: skip
    finally:
        engine.dispose()
    expected = [(f"{r}-extended-{serial}", url, 3) for r, url in zip(LATEST, local, strict=True)]
    assert [tuple(row) for row in loads] == expected  # each registry's file, from its address, 3 records each

    backup = deployment.run(command_line(localise(block(job("backup")), deployment.root)))
    assert backup.returncode == 0, backup.stdout + backup.stderr
    (written,) = (deployment.root / "backups").glob("*.backup")
    assert re.fullmatch(r"observatory-[A-Z][a-z]{2}\.backup", written.name)  # the day of the week's short name
    manifest = json.loads(written.with_name(written.name + ".json").read_text())
    assert manifest["database"] == "postgresql" and manifest["size_bytes"] == written.stat().st_size
    assert manifest["tables"]["source_load"] == 5  # taken after the refresh, from the platform's database
