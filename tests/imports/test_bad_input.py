"""Bad input (issue "Import real ownership data", "Bad input"): each a failed run whose error
names the statement and its field — or, where the data is merely odd, a warning — with the
registry unchanged by a failed run, and never a 500 through the API."""

import json

import pytest

from alerts.models import Alert
from imports.models import ImportedRecord
from registry import services
from registry.models import Entity, Ownership, OwnershipEvent
from tests.api.conftest import token_client
from tests.imports import bods
from tests.imports.conftest import run_file
from tests.imports.test_api import upload

pytestmark = pytest.mark.django_db

PARTIES = [bods.entity("a", "A Ltd"), bods.entity("b", "B Ltd")]


def without_id():
    statement = bods.entity("c", "C Ltd")
    del statement["statementId"]
    return [*PARTIES, statement]


def share(**share_range):
    return [*PARTIES, bods.stake("ab", "a", "b", share_range=share_range)]


def unknown_version():
    statement = bods.entity("c", "C Ltd")
    statement["publicationDetails"] = {**bods.PUBLICATION, "bodsVersion": "9.9"}
    return [*PARTIES, statement]


def same_id_other_content():
    renamed = bods.entity("a", "A Holdings Ltd")
    return [*PARTIES, renamed]


def trailing_junk_in_a_date():
    return [*PARTIES, bods.stake("ab", "a", "b", share=10, start="2024-01-01junk")]


REF = "element 2 (line 1)"
CASES = {
    "a statement missing its id": (
        without_id(),
        REF,
        "statementId",
        "the statement's statementId is missing.",
    ),
    "a reference to a statement that never appears": (
        [*PARTIES, bods.stake("ab", "a", "ghost", share=10)],
        f"{REF} (ab-2025-06-20-new)",
        "recordDetails.interestedParty",
        "“ghost” is not a statement of this file nor a record of an earlier run of Test register.",
    ),
    "a share of -5": (
        share(exact=-5),
        f"{REF} (ab-2025-06-20-new)",
        "recordDetails.interests[0].share.exact",
        "-5 is not a share: a share runs from 0 to 100 percent.",
    ),
    "a share of 150": (
        share(exact=150),
        f"{REF} (ab-2025-06-20-new)",
        "recordDetails.interests[0].share.exact",
        "150 is not a share: a share runs from 0 to 100 percent.",
    ),
    "min above max": (
        share(minimum=60, maximum=40),
        f"{REF} (ab-2025-06-20-new)",
        "recordDetails.interests[0].share.minimum",
        "the minimum 60.0000 is above the maximum 40.0000.",
    ),
    "an unknown BODS version": (
        unknown_version(),
        REF,
        "publicationDetails.bodsVersion",
        "BODS version “9.9” is not supported (0.2, 0.3 and 0.4 are).",
    ),
    "duplicate statement ids with different content": (
        same_id_other_content(),
        f"{REF} (a-2025-06-20-new)",
        "statementId",
        "the statement id “a-2025-06-20-new” is used by element 0 (line 1) for a different "
        "statement: a statement id names one entity or person.",
    ),
    "a date with trailing junk": (
        trailing_junk_in_a_date(),
        f"{REF} (ab-2025-06-20-new)",
        "recordDetails.interests[0].startDate",
        "“2024-01-01junk” is not a date (YYYY-MM-DD).",
    ),
    "a CSV file given as BODS": (
        "name,country,share\nA Ltd,GB,10\n",
        "line 1, column 1",
        "(file)",
        "the file is not JSON statements (it looks like CSV: “name,country,share”); BODS is "
        "a JSON array or JSON Lines.",
    ),
    "an XML file given as BODS": (
        '<?xml version="1.0"?>\n<LEIData/>\n',
        "line 1, column 1",
        "(file)",
        'the file is not JSON statements (it is XML: “<?xml version="1.0"?>”); BODS is a '
        "JSON array or JSON Lines.",
    ),
    "an empty file": ("", "line 1", "(file)", "the file is empty."),
    "a file of white space": (" \n\n  \n", "line 1", "(file)", "the file is empty."),
    "an empty array": ("[]", "line 1", "(file)", "The file holds no statements."),
}


@pytest.fixture
def registry_before():
    """A registry that holds something, and a way to see that a run left it as it was."""
    a = services.entity_create(name="Existing Ltd", country="GB")
    b = services.entity_create(name="Existing Holdings", country="GB")
    services.ownership_set(owner=b, owned=a, share=40, start_date="2020-01-01")

    def state():
        return (
            list(Entity.objects.order_by("pk").values_list("pk", "name")),
            list(Ownership.objects.order_by("pk").values_list("pk", "share", "end_date")),
            OwnershipEvent.objects.count(),
            Alert.objects.count(),
            ImportedRecord.objects.count(),
        )

    return state


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_the_run_at_its_statement_and_field_and_changes_nothing(
    case, registry_before, write_json
):
    content, record, field, message = CASES[case]
    before = registry_before()

    run = run_file(write_json(content))

    assert run.status == "failed"
    assert run.errors == [{"record": record, "field": field, "message": message}]
    assert run.counts["entities_new"] == run.counts["edges_new"] == 0
    assert registry_before() == before


def test_a_statement_repeated_word_for_word_is_read_once_with_a_warning(write_json):
    run = run_file(write_json([*PARTIES, PARTIES[0], bods.stake("ab", "a", "b", share=10)]))

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 2
    assert run.warnings == [
        {
            "record": "(file)",
            "field": "statementId",
            "message": "1 statement(s) repeat an earlier statement word for word: read once.",
        }
    ]


def test_one_id_for_two_ownership_statements_reads_both_with_a_warning(write_json):
    """As the standard's own joint-ownership example has it (0.2 and 0.3)."""
    first = bods.stake("ab", "a", "b", share=50, start="2024-01-01")
    second = bods.stake("cb", "a", "c", share=50, start="2024-01-01")
    second["statementId"] = first["statementId"]

    run = run_file(write_json([*PARTIES, bods.entity("c", "C Ltd"), first, second]))

    assert run.status == "done", run.errors
    assert run.counts["edges_new"] == 2
    assert run.warnings == [
        {
            "record": "element 4 (line 1) (ab-2025-06-20-new)",
            "field": "statementId",
            "message": "the statement id “ab-2025-06-20-new” is used by element 3 (line 1) "
            "for a different statement; both are read.",
        }
    ]


def test_a_cycle_of_100_percent_is_imported_with_a_warning_naming_its_statement(write_json):
    run = run_file(
        write_json(
            [
                *PARTIES,
                bods.entity("c", "C Ltd"),
                bods.stake("ab", "b", "a", share=100, start="2024-01-01"),
                bods.stake("ba", "a", "b", share=100, start="2024-01-01"),
                # C's 30% of A is not part of the loop, nor does it open it.
                bods.stake("ca", "c", "a", share=30, start="2024-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert run.counts["edges_new"] == 3
    assert run.warnings == [
        {
            "record": "element 3 (line 1) (ab-2025-06-20-new)",
            "field": "recordDetails.interests[0].share",
            "message": "A closed ownership loop: A Ltd, B Ltd hold each other entirely with no "
            "outside holder. Imported as published; the risk engine reports it as a data "
            "problem.",
        }
    ]


def test_a_loop_with_an_outside_holder_is_no_warning(write_json):
    run = run_file(
        write_json(
            [
                *PARTIES,
                bods.entity("o", "Outside Ltd"),
                bods.stake("ab", "b", "a", share=90, start="2024-01-01"),
                bods.stake("ob", "b", "o", share=10, start="2024-01-01"),
                bods.stake("ba", "a", "b", share=100, start="2024-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert run.warnings == []


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_through_the_api_is_a_failed_run_never_a_500(case, analyst):
    content, record, field, message = CASES[case]
    raw = content if isinstance(content, str) else json.dumps(content)

    status, body = upload(
        token_client(analyst), raw.encode(), format="bods", source_name="Test register"
    )

    if raw == "":
        # An empty upload is refused before any run is made.
        assert (status, body) == (400, {"file": ["The submitted file is empty."]})
        return
    assert status == 202, body
    assert body["status"] == "failed"
    assert body["errors"] == [{"record": record, "field": field, "message": message}]
    assert Entity.objects.count() == 0


@pytest.mark.parametrize(
    "content", [b"name,share\nA,10\n", b"<?xml version='1.0'?><a/>", b"\xff\xfe"]
)
def test_a_file_of_no_known_format_without_a_format_is_400_at_format(analyst, content):
    status, body = upload(token_client(analyst), content)

    assert status == 400, body
    assert set(body) == {"format"}
