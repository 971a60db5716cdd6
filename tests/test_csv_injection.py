"""The dashboard's CSV cannot run a formula in a spreadsheet, whatever names people choose.

OWASP's CSV-injection guidance: every field quoted, quotes escaped, and a leading ' on any
cell that a spreadsheet would read as a formula. Spreadsheets also split cells on other
separators than the comma, so the export is read back with each of them.
"""

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from mlpath.groups.dashboard import csv_cell
from mlpath.groups.models import Membership, StudyGroup

STARTERS = "=+-@\t\r\n"
SEPARATORS = ",;\t|"
HOSTILE_GROUP = "x;=cmd|' /C calc'!A0;"
# A name anyone can sign up with (letters, digits and @.+-_ only)...
HOSTILE_USERNAME = "+1+cmd@A0"
# ...and one only an import or a script could create, hidden behind a quote.
HOSTILE_IMPORTED_NAME = "\"=cmd|' /C calc'!A0"


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would run: a cell without the ' text prefix that starts, after any
    whitespace or quotes, with a formula starter (tab, CR and LF count themselves)."""
    if cell.startswith("'"):
        return False
    return cell.startswith(("\t", "\r", "\n")) or cell.lstrip().lstrip("\"'").lstrip()[:1] in (
        tuple(STARTERS)
    )


def hides_a_formula(text: str) -> bool:
    """The text itself, or any piece of it between separators, would run as a formula."""
    return runs_as_formula(text) or any(
        runs_as_formula(piece) for piece in re.split(f"[{re.escape(SEPARATORS)}]", text)[1:]
    )


# Pure rules on csv_cell.


@given(st.text())
@example(HOSTILE_GROUP)
@example(HOSTILE_IMPORTED_NAME)
@example(" =1")
@example("\n=1")
@example("a,b; @c")
def test_a_cell_that_could_run_as_a_formula_gets_the_text_prefix(text):
    if hides_a_formula(text):
        assert csv_cell(text) == f"'{text}"


@given(st.text())
def test_a_cell_only_ever_gains_a_leading_quote(text):
    assert csv_cell(text) in (text, f"'{text}")


@given(st.text(alphabet=st.characters(blacklist_characters=STARTERS)))
def test_a_cell_with_no_formula_starter_is_left_as_it_is(text):
    assert csv_cell(text) == text


@given(st.text())
def test_a_quoted_cell_reads_back_as_written(text):
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerow([csv_cell(text)])
    [[cell]] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert cell == csv_cell(text)


@pytest.mark.parametrize("percent", [0, 7, 100])
def test_percentages_stay_numbers(percent):
    assert csv_cell(percent) == str(percent)


# The export itself.


@pytest.fixture
def hostile_group(client, db):
    organizer = User.objects.create_user(HOSTILE_USERNAME, password="x" * 12)
    organizer.full_clean()  # a name the sign-up form accepts
    group = StudyGroup.create(name=HOSTILE_GROUP, description="", organizer=organizer)
    Membership.objects.create(group=group, user=User.objects.create_user(HOSTILE_IMPORTED_NAME))
    client.force_login(organizer)
    return group


def export(client, group) -> str:
    response = client.get(reverse("groups:csv", args=[group.slug]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_hostile_names_never_become_formulas_whatever_the_separator(client, hostile_group, delimiter):
    text = export(client, hostile_group)
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    assert cells
    assert [cell for cell in cells if runs_as_formula(cell)] == []


def test_every_field_is_quoted_and_the_names_read_back_whole(client, hostile_group):
    text = export(client, hostile_group)
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["group"] for row in rows} == {f"'{HOSTILE_GROUP}"}
    assert sorted(row["member"] for row in rows) == sorted(
        [f"'{HOSTILE_USERNAME}", f"'{HOSTILE_IMPORTED_NAME}"]
    )
    assert all(row["overall"].isdigit() for row in rows)
