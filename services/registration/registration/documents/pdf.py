"""HTML and CSS to PDF with WeasyPrint, fetching nothing: the one place that calls it.

WeasyPrint ships no type hints; this typed function is all the rest of the code sees of it.
Its URL fetcher takes `data:` URLs only, and no base URL is given, so no relative one resolves:
whatever a document holds (learners' names are user input) never makes it open a file or a
connection. Fonts come from the machine's fontconfig (DejaVu, installed by `make setup`).
"""

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

ALLOWED_URL_SCHEMES = frozenset({"data"})


def html_to_pdf(html: str, stylesheet: str) -> bytes:
    fetcher = URLFetcher(allowed_protocols=ALLOWED_URL_SCHEMES, allow_redirects=False)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    css = CSS(string=stylesheet, base_url=None, url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[css])
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint wrote no PDF")
    return pdf
