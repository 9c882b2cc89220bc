"""The production shape on one machine: nginx in front of N Daphne processes, M task workers
and the sweepers, against PostgreSQL and Redis (`make prod`, `manage.py serve_production`).

The nginx configuration is written here once; the benchmark harness starts the same one.
"""

import shutil
from pathlib import Path

NGINX_CONF = """# Written by omnichannel.deploy; nginx runs in the foreground, not as a service.
daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log {access_log};
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size {max_body};
    keepalive_requests 1000000;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    upstream daphne {{
        least_conn;
{upstream}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://daphne;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            # Overwritten, never appended to: Daphne (--proxy-headers) trusts the first address.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_buffering off;
        }}
    }}
}}
"""


def find_nginx() -> str:
    """nginx from Debian's package (nginx-light is enough); SystemExit says how to get it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is missing: apt-get install -y nginx-light (Debian's package)")
    return nginx


def write_nginx_config(
    prefix: Path,
    *,
    host: str,
    port: int,
    daphne_ports: list[int],
    max_body_bytes: int,
    access_log: bool = False,
    workers: int = 1,
) -> Path:
    """Write nginx.conf (and the folders it names) under `prefix`; returns its path."""
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    upstream = "\n".join(f"        server 127.0.0.1:{daphne_port};" for daphne_port in daphne_ports)
    config = NGINX_CONF.format(
        workers=workers,
        prefix=prefix,
        access_log=f"{prefix}/logs/access.log" if access_log else "off",
        max_body=max_body_bytes,
        upstream=upstream,
        host=host,
        port=port,
    )
    path = prefix / "nginx.conf"
    path.write_text(config)
    return path
