import pytest

from shared.spreadsheets import safe_cell

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "value",
    [
        "=HYPERLINK(1)",
        "+1",
        "-2+3@evil.org",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\n=1",
        " =1+1",
        "   @x",
        "\uff1d1+1",
        "\uff0b1",
        "\uff0d1",
        "\uff20x",
        " \uff1d1",
    ],
)
def test_a_cell_that_could_run_as_a_formula_is_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Léa Martin", "lea@example.org", "a-b", "", " ", "1=1"])
def test_other_cells_are_left_alone(value: str) -> None:
    assert safe_cell(value) == value
