"""The attendance sheet and the certificate as PDFs, read back (pypdf's text extraction).

Each document is rendered once per module (WeasyPrint takes a fraction of a second for each).
"""

import base64
import dataclasses
import io
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from registration.documents import (
    AttendanceSheet,
    AttendedEvent,
    CertificateOfAttendance,
    SheetEvent,
    SheetRow,
    attendance_sheet_pdf,
    certificate_pdf,
)
from registration.documents.pdf import html_to_pdf
from registration.documents.wording import WORDS

from shared.events import Locale

pytestmark = pytest.mark.unit

PARIS = timezone(timedelta(hours=1))
EVENT = SheetEvent(
    title="Gestes & postures",
    start=datetime(2027, 1, 12, 9, 0, tzinfo=PARIS),
    end=datetime(2027, 1, 12, 12, 30, tzinfo=PARIS),
    location="Salle Émile-Zola, Lyon",
)
SCRIPT = "<script>alert('x')</script> Dupont"
SHEET = AttendanceSheet(
    training_title="Sécurité au travail",
    session_title="Session de janvier",
    event=EVENT,
    rows=(
        SheetRow("Zoé Lefèvre-Château", "present", datetime(2027, 1, 12, 8, 7, tzinfo=UTC)),
        SheetRow("François Núñez", "absent_justified"),
        SheetRow(SCRIPT, "absent_unjustified"),
        SheetRow("Anaïs Œdipe", "unknown"),
    ),
)
CERTIFICATE_ID = uuid.UUID("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f")
CERTIFICATE = CertificateOfAttendance(
    certificate_id=CERTIFICATE_ID,
    learner_name="Zoé Lefèvre-Château",
    training_code="SEC-101",
    training_title="Sécurité au travail",
    session_title="Session de janvier",
    session_start=date(2027, 1, 12),
    session_end=date(2027, 1, 14),
    session_location="Lyon",
    events=(
        AttendedEvent("Gestes & postures", EVENT.start, EVENT.end),
        AttendedEvent(
            "Incendie",
            datetime(2027, 1, 14, 14, 0, tzinfo=PARIS),
            datetime(2027, 1, 14, 18, 0, tzinfo=PARIS),
        ),
    ),
    hours_attended=7.5,
    issued_on=date(2027, 2, 1),
)
PUBLIC_URL = "https://formation.example.org/"
VERIFICATION_URL = f"https://formation.example.org/api/certificates/{CERTIFICATE_ID}"


def pages(pdf: bytes) -> list[str]:
    """Each page's text, no-break spaces as spaces."""
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text().replace("\u00a0", " ") for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages(pdf))


def line_with(text: str, words: str) -> str:
    return next(line for line in text.splitlines() if words in line)


@pytest.fixture(scope="module")
def sheets() -> dict[tuple[Locale, bool], str]:
    return {
        (locale, filled): text_of(attendance_sheet_pdf(SHEET, filled=filled, locale=locale))
        for locale in ("fr", "en")
        for filled in (False, True)
    }


@pytest.fixture(scope="module")
def certificates() -> dict[Locale, bytes]:
    return {
        locale: certificate_pdf(CERTIFICATE, locale=locale, public_url=PUBLIC_URL)
        for locale in ("fr", "en")
    }


@pytest.mark.parametrize("filled", [False, True])
def test_a_sheet_shows_the_event_and_every_learner(
    sheets: dict[tuple[Locale, bool], str], filled: bool
) -> None:
    fr, en = sheets["fr", filled], sheets["en", filled]
    assert "Feuille d'émargement" in fr
    assert "Attendance sheet" in en
    for text in (fr, en):
        assert "Sécurité au travail" in text
        assert "Session de janvier" in text
        assert "Gestes & postures" in text
        assert "Salle Émile-Zola, Lyon" in text
        for row in SHEET.rows:
            assert row.name in text  # a name is text: the <script> too
    assert "12 janvier 2027, 9 h 00 \u2013 12 h 30 (UTC+01:00)" in fr
    assert "12 January 2027, 09:00 \u2013 12:30 (UTC+01:00)" in en
    assert "Nom et signature du formateur ou de la formatrice" in fr
    assert "Trainer's name and signature" in en


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_blank_sheet_has_signature_cells_and_no_statuses(
    sheets: dict[tuple[Locale, bool], str], locale: Locale
) -> None:
    text = sheets[locale, False]
    words = WORDS[locale]
    assert words.signature in line_with(text, words.learner)
    for status in words.statuses.values():
        assert status not in text
    assert words.signed_at not in text
    assert "9 h 07" not in text
    assert "09:07" not in text


def test_the_filled_sheet_has_each_learners_status_and_signing_time(
    sheets: dict[tuple[Locale, bool], str],
) -> None:
    fr, en = sheets["fr", True], sheets["en", True]
    # signed at 08:07 UTC, written in the event's offset
    assert line_with(fr, "Zoé Lefèvre-Château").endswith("Présence 9 h 07")
    assert line_with(fr, "François Núñez").endswith("Absence justifiée")
    assert line_with(fr, SCRIPT).endswith("Absence non justifiée")
    assert line_with(fr, "Anaïs Œdipe").endswith("Non renseigné")
    assert line_with(en, "Zoé Lefèvre-Château").endswith("Present 09:07")
    assert line_with(en, "François Núñez").endswith("Absent (justified)")
    assert line_with(en, SCRIPT).endswith("Absent (unjustified)")
    assert line_with(en, "Anaïs Œdipe").endswith("Not recorded")
    assert "Signature" not in line_with(en, "Learner")


def test_a_sheet_is_landscape_and_a_certificate_portrait(certificates: dict[Locale, bytes]) -> None:
    sheet = PdfReader(io.BytesIO(attendance_sheet_pdf(SHEET, filled=False, locale="en"))).pages[0]
    certificate = PdfReader(io.BytesIO(certificates["en"])).pages[0]
    assert (round(sheet.mediabox.width), round(sheet.mediabox.height)) == (842, 595)  # A4
    assert (round(certificate.mediabox.width), round(certificate.mediabox.height)) == (595, 842)


def test_many_learners_take_several_pages_each_with_the_table_header() -> None:
    long_name = "Marie-Éléonore " + "de la Tour d'Auvergne-Lauraguais " * 5 + "Dupont"
    names = [long_name, *(f"Learner {number:02d}" for number in range(80))]
    sheet = AttendanceSheet("T", "S", EVENT, tuple(SheetRow(name) for name in names))
    texts = pages(attendance_sheet_pdf(sheet, filled=False, locale="en"))
    assert len(texts) > 1
    for page, text in enumerate(texts, start=1):
        assert "No. Learner Signature" in text
        assert text.splitlines()[-1] == f"Gestes & postures {page} / {len(texts)}"  # footer
    whole = "\n".join(texts)
    assert all(name in whole for name in names[1:])
    assert long_name not in whole  # it wraps in its cell...
    assert long_name in " ".join(whole.split())  # ...and is all there


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "fr",
            [
                "Attestation de présence",
                "Nous attestons que",
                "Sécurité au travail (SEC-101)",
                "Session Session de janvier",
                "du 12 janvier 2027 au 14 janvier 2027",
                "Lieu Lyon",
                "Gestes & postures 12 janvier 2027, 9 h 00 \u2013 12 h 30 (UTC+01:00) 3 h 30",
                "Incendie 14 janvier 2027, 14 h 00 \u2013 18 h 00 (UTC+01:00) 4 h",
                "Durée totale de présence 7 h 30",
                "Fait le 1er février 2027",
                "Identifiant de l'attestation",
            ],
        ),
        (
            "en",
            [
                "Certificate of attendance",
                "This is to certify that",
                "Sécurité au travail (SEC-101)",
                "Session Session de janvier",
                "12 January 2027 to 14 January 2027",
                "Place Lyon",
                "Gestes & postures 12 January 2027, 09:00 \u2013 12:30 (UTC+01:00) 3.5 hours",
                "Incendie 14 January 2027, 14:00 \u2013 18:00 (UTC+01:00) 4 hours",
                "Total hours attended 7.5 hours",
                "Issued on 1 February 2027",
                "Certificate ID",
            ],
        ),
    ],
)
def test_a_certificate_says_who_attended_what_and_how_to_verify_it(
    certificates: dict[Locale, bytes], locale: Locale, expected: list[str]
) -> None:
    text = text_of(certificates[locale])
    lines = text.splitlines()
    assert "Zoé Lefèvre-Château" in lines
    for words in expected:
        assert words in text
    assert str(CERTIFICATE_ID) in lines
    assert VERIFICATION_URL in lines


def test_a_name_is_never_markup() -> None:
    certificate = dataclasses.replace(CERTIFICATE, learner_name='<b>Bold</b> & "<i>co</i>"')
    text = text_of(certificate_pdf(certificate, locale="en", public_url=PUBLIC_URL))
    assert '<b>Bold</b> & "<i>co</i>"' in text


def test_rendering_fetches_nothing_but_data_urls(tmp_path: Path) -> None:
    def svg(words: str) -> str:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
            f'<text x="0" y="30" font-family="DejaVu Sans">{words}</text></svg>'
        )

    on_disk = tmp_path / "image.svg"
    on_disk.write_text(svg("FROMDISK"))
    inline = base64.b64encode(svg("INLINE").encode()).decode()
    html = (
        f'<p><img src="{on_disk.as_uri()}"><img src="data:image/svg+xml;base64,{inline}"></p>'
        f'<p><img src="image.svg"><img src="http://127.0.0.1:9/image.svg"></p>'
    )
    text = text_of(html_to_pdf(html, f"p {{ background: url({on_disk.as_uri()}) }}"))
    assert "INLINE" in text  # what is in the document is drawn...
    assert "FROMDISK" not in text  # ...nothing is fetched


def test_a_timestamp_without_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        SheetEvent("Gestes", datetime(2027, 1, 12, 9), datetime(2027, 1, 12, 12))
