"""No personal data in the access log: gunicorn's line (with this project's config/gunicorn.py) names the
path and not the query string or the Referer, where a searched-for name or a postcode could be."""

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"


def access_line(environ: dict) -> str:
    config = Config()
    config.set("access_log_format", runpy.run_path(str(SETTINGS))["access_log_format"])
    logger = Logger(config)
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    request = SimpleNamespace(headers=[])
    atoms = logger.atoms_wrapper_class(logger.atoms(response, request, environ, timedelta(milliseconds=12)))
    return config.access_log_format % atoms


def test_the_access_log_names_the_path_but_not_the_query_or_the_referer():
    line = access_line(
        {
            "REQUEST_METHOD": "GET",
            "RAW_URI": "/search?q=Margaret+Quennell+07700900461",
            "PATH_INFO": "/search",
            "QUERY_STRING": "q=Margaret+Quennell+07700900461",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.7",
            "HTTP_REFERER": "https://oneroute.example/calls/postcode?postcode=SM1+1AA",
            "HTTP_USER_AGENT": "Firefox",
        }
    )

    assert '"GET /search HTTP/1.1" 200 1234' in line
    assert "10.0.0.7" in line
    for personal in ("Margaret", "Quennell", "07700900461", "SM1", "postcode"):
        assert personal not in line
