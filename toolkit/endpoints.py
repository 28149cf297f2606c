"""Which server each path connects to: the writer and the reader on the primary, the reader on each standby.

`QUEACCOUNT_READ_DATABASE_URL` holds one URL or several. One on the writer's server (host and port) is the
primary's reader, as it always was; one on any other server is taken as a hot standby. With standbys only,
the primary's reader is the writer's server with the standbys' user and password: a physical standby's roles
and passwords are its primary's, so the one reader role serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from toolkit.settings import libpq_url

ADDRESS = ("host", "hostaddr", "port")


@dataclass(frozen=True)
class Endpoints:
    write: URL
    read: URL  # the reader on the primary
    standbys: tuple[URL, ...] = ()  # the reader on each hot standby


def split(write: URL, read: URL, configured: tuple[URL, ...]) -> Endpoints:
    """The endpoints of a writer and the configured read URLs (`read`: the first of them, or the default)."""
    primary = server_of(write)
    standbys = tuple(url for url in configured if server_of(url) != primary)
    on_primary = [url for url in configured if server_of(url) == primary]
    if on_primary:
        read = on_primary[0]
    elif standbys:
        read = write.set(username=standbys[0].username, password=standbys[0].password)
    return Endpoints(write, read, standbys)


def server_of(url: URL) -> tuple[str, str]:
    """(host, port) as libpq reads them from the URL (a Unix socket's folder may be given as `?host=`)."""
    params = conninfo_to_dict(libpq_url(url))
    return str(params.get("hostaddr") or params.get("host") or ""), str(params.get("port") or "5432")


def standby_conninfo(urls: tuple[URL, ...]) -> str:
    """One libpq conninfo naming every standby, which accepts a server only while it is in recovery (and
    picks one at random when there are several)."""
    params = [conninfo_to_dict(libpq_url(url)) for url in urls]
    shared = [{k: v for k, v in p.items() if k not in ADDRESS} for p in params]
    if any(other != shared[0] for other in shared[1:]):
        raise ValueError(
            "the standbys' URLs in QUEACCOUNT_READ_DATABASE_URL must name the same user, password and"
            " database (a standby's roles are its primary's)"
        )
    balance = {"load_balance_hosts": "random"} if len(urls) > 1 else {}
    return make_conninfo(
        "",
        **shared[0],
        host=",".join(str(p.get("host") or "") for p in params),
        port=",".join(str(p.get("port") or "5432") for p in params),
        target_session_attrs="standby",
        **balance,
    )
