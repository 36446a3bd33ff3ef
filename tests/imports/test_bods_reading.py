"""Reading single BODS statements into the registry's terms (no database)."""

import datetime
import json
from decimal import Decimal

import pytest

from imports.formats import bods as reading
from imports.formats.reader import HashingReader, ReadError, json_values
from tests.imports import bods


def interest_of(**interest) -> reading.WantedEdge:
    statement = bods.stake("r", "a", "b")
    statement["recordDetails"]["interests"] = [{"directOrIndirect": "direct", **interest}]
    (edge,) = reading.read_statement(statement, "element 0").edges
    return edge


def test_exclusive_bounds_of_0_4_are_taken_at_their_value():
    edge = interest_of(type="shareholding", share={"exclusiveMinimum": 25, "exclusiveMaximum": 50})

    assert (edge.share, edge.share_min, edge.share_max) == (None, Decimal(25), Decimal(50))


def test_an_exact_share_wins_over_its_bounds_and_equal_bounds_are_exact():
    exact = interest_of(type="shareholding", share={"exact": 50, "minimum": 50, "maximum": 50})
    equal = interest_of(type="shareholding", share={"minimum": 75, "maximum": 75})

    assert (exact.share, exact.share_min, exact.share_max) == (Decimal(50), None, None)
    assert (equal.share, equal.share_min, equal.share_max) == (Decimal(75), None, None)


def test_partial_dates_start_on_the_first_day_and_an_end_date_is_the_day_after_the_last():
    edge = interest_of(type="votingRights", startDate="2016-04", endDate="2021")

    assert edge.interest == "voting_rights"
    assert edge.start_date == datetime.date(2016, 4, 1)
    assert edge.end_date == datetime.date(2020, 12, 31)


@pytest.mark.parametrize(
    ("published", "interest"),
    [
        ("boardChair", "board_member"),
        ("board-member", "board_member"),
        ("seniorManagingOfficial", "senior_managing_official"),
        ("voting-rights", "voting_rights"),
        ("rightsToSurplusAssetsOnDissolution", "other_influence"),
    ],
)
def test_interest_types_map_to_the_registrys_interests(published, interest):
    assert interest_of(type=published).interest == interest


def test_a_shareholding_without_a_share_is_other_influence_with_a_warning():
    statement = bods.stake("r", "a", "b")
    relationship = reading.read_statement(statement, "element 0")

    assert [edge.interest for edge in relationship.edges] == ["other_influence"]
    assert relationship.warnings == [
        (
            "recordDetails.interests[0].share",
            "a shareholding without a share is recorded as other influence.",
        )
    ]


def test_an_unknown_bods_version_is_refused_at_its_field():
    statement = bods.entity("a", "A")
    statement["publicationDetails"] = {**bods.PUBLICATION, "bodsVersion": "1.0"}

    with pytest.raises(reading.RecordError) as refused:
        reading.read_statement(statement, "line 4")

    assert refused.value.as_dict() == {
        "record": "line 4",
        "field": "publicationDetails.bodsVersion",
        "message": "BODS version “1.0” is not supported (0.2, 0.3 and 0.4 are).",
    }


def test_a_statement_without_a_version_is_read_as_0_2():
    party = reading.read_statement(
        {"statementID": "s1", "statementType": "entityStatement", "name": "Acme"}, "line 1"
    )

    assert (party.record, party.name, party.kind) == ("s1", "Acme", "company")


def test_an_invalid_lei_is_refused_and_a_valid_one_is_the_entitys_lei():
    good = bods.entity("a", "Meta", identifiers=[("XI-LEI", "BQ4BKCS1HXDV9HN80Z93")])
    bad = bods.entity("b", "Bad", identifiers=[("XI-LEI", "BQ4BKCS1HXDV9HN80Z94")])

    assert reading.read_statement(good, "element 0").lei == "BQ4BKCS1HXDV9HN80Z93"
    with pytest.raises(reading.RecordError) as refused:
        reading.read_statement(bad, "element 1")
    assert refused.value.field == "recordDetails.identifiers[0].id"


def test_a_json_array_is_read_an_element_at_a_time_with_its_line(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n  {"a": 1},\n  {"b": 2}\n]\n')

    with path.open("rb") as stream:
        values = list(json_values(HashingReader(stream)))

    assert [(v.where, v.data) for v in values] == [
        ("element 0 (line 2)", {"a": 1}),
        ("element 1 (line 3)", {"b": 2}),
    ]


def test_an_unclosed_array_is_an_error_at_its_end(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"a": 1},\n{"b": 2}')

    with path.open("rb") as stream, pytest.raises(ReadError) as refused:
        list(json_values(HashingReader(stream)))

    assert refused.value.where == "line 2, column 9"


def test_statements_across_read_chunks_come_out_whole_with_their_lines(tmp_path):
    path = tmp_path / "big.jsonl"
    numbers = [10**12 + n for n in range(20_000)]  # about 400 kB: many chunks
    path.write_text("".join(f'{{"n": {n}}}\n' for n in numbers))

    with path.open("rb") as stream:
        reader = HashingReader(stream)
        values = list(json_values(reader))

    assert [v.data["n"] for v in values] == numbers
    assert values[-1].where == "line 20000"
    assert reader.bytes_read == path.stat().st_size


class CountingReader(HashingReader):
    def __init__(self, stream):
        super().__init__(stream)
        self.sizes: list[int] = []

    def read(self, size: int) -> bytes:
        self.sizes.append(size)
        return super().read(size)


def test_one_huge_statement_is_read_in_doubling_steps_not_a_chunk_at_a_time(tmp_path):
    """Each attempt decodes the statement from its start: reading 64 kB more per attempt
    would decode an 8 MB statement 128 times (quadratic); doubling decodes it about 8."""
    path = tmp_path / "huge.jsonl"
    names = [f"name {n:07d}" for n in range(500_000)]  # about 8 MB in one statement
    path.write_text(json.dumps({"statementID": "big", "names": names}) + '\n{"after": 1}\n')

    with path.open("rb") as stream:
        reader = CountingReader(stream)
        values = list(json_values(reader))

    assert [v.where for v in values] == ["line 1", "line 2"]
    assert values[0].data["names"] == names
    assert values[1].data == {"after": 1}
    assert path.stat().st_size > 8_000_000
    assert len(reader.sizes) <= 12, reader.sizes
    assert reader.bytes_read == path.stat().st_size
