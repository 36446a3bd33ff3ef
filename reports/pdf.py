"""HTML to PDF with WeasyPrint, reading nothing but the project's own static files.

WeasyPrint needs Pango (and HarfBuzz) from the system; it is imported when a PDF is asked
for, not when the app starts, so the pages and the tests work on a machine without those
libraries and the PDF link then answers with what is missing (``PdfUnavailable``).
"""

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

SYSTEM_LIBRARIES = "libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0"


class PdfUnavailable(Exception):
    """PDF rendering cannot run here; the message says what to install."""


def _weasyprint():
    try:
        import weasyprint
    except ImportError as error:
        raise PdfUnavailable(
            "PDF reports need the Python package WeasyPrint (requirements/base.txt), which is "
            f"not installed here ({error})."
        ) from error
    except OSError as error:
        # WeasyPrint loads Pango and HarfBuzz when it is imported.
        raise PdfUnavailable(
            f"PDF reports need the system libraries {SYSTEM_LIBRARIES} (Debian and Ubuntu "
            f"package names), which WeasyPrint could not load here ({error})."
        ) from error
    return weasyprint


def static_file(url: str) -> tuple[bytes, str]:
    """The content and media type of the static file that ``url`` names (any host: only its
    path counts), read from the collected files or, before ``collectstatic``, from the
    static directories. Anything else raises ``ValueError``: a report fetches nothing from
    the network, the disk outside static files or ``data:`` URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "") or not parts.path.startswith(settings.STATIC_URL):
        raise ValueError(f"a report may only load the site's static files, not {url}")
    name = posixpath.normpath(unquote(parts.path[len(settings.STATIC_URL) :]))
    if name.startswith(("..", "/")) or name == ".":
        raise ValueError(f"not a static file: {url}")
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    found = finders.find(name)
    if found:
        with open(found, "rb") as file:
            return file.read(), media_type
    if staticfiles_storage.exists(name):
        with staticfiles_storage.open(name) as file:
            return file.read(), media_type
    raise ValueError(f"no static file {name}")


def static_file_text(name: str) -> str:
    """The text of the static file ``name`` (a stylesheet put inside a document)."""
    body, _ = static_file(settings.STATIC_URL + name)
    return body.decode()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """``html`` as a PDF document; its links and static URLs are relative to ``base_url``."""
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcherResponse

    class StaticFilesOnly(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            body, media_type = static_file(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=StaticFilesOnly()
    ).write_pdf()
