"""PDFs (letters, statements, reports) through WeasyPrint, which fetches nothing but
Engage's own static files.

WeasyPrint's default fetcher follows every URL a document names — ``http(s)://`` (so a
PDF could be made to call the server's network: loopback, cloud metadata), ``file://``
(any file the server can read, embedded into the PDF), ``data:``. Escaping keeps people's
text from adding tags today; this fetcher is the second lock, so a template or a field
that lets markup through later still cannot reach further than ``static/``. A refused
resource is left out and the PDF still renders.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

STATIC = Path(__file__).resolve().parents[1] / "static"  # the app's static folder


class RefusedResource(ValueError):
    """A document named a resource outside Engage's static files."""


def static_file(url: str, root: Path = STATIC) -> Path | None:
    """The file under ``root`` that ``url`` names (a ``file:`` URL, as relative references
    resolve against the base URL), or None for anything else."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    try:
        path = Path(unquote(parts.path)).resolve()
    except (OSError, ValueError):
        return None
    base = root.resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def _fetcher(root: Path):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            path = static_file(url, root)
            if path is None:
                current_app.logger.warning("PDF resource refused: %s", url[:200])
                raise RefusedResource(f"not one of Engage's static files: {url[:200]}")
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                      headers={"Content-Type": mimetype})

    return StaticOnly(allowed_protocols=("file",), allow_redirects=False)


def pdf(html: str, root: Path = STATIC) -> bytes:
    """``html`` as a PDF. Relative references (``css/print.css``) name files under
    ``static/``; nothing else is fetched."""
    from weasyprint import HTML  # heavy import: only where a PDF is printed

    return HTML(string=html, base_url=root.resolve().as_uri() + "/",
                url_fetcher=_fetcher(root)).write_pdf()
