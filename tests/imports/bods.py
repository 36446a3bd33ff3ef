"""BODS 0.4 statements written for the tests: the smallest valid shapes."""

PUBLICATION = {
    "publicationDate": "2025-06-20",
    "bodsVersion": "0.4",
    "publisher": {"name": "Test register"},
}


def entity(record: str, name: str, *, identifiers=(), country: str = "", date="2025-06-20"):
    details = {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": name}
    if identifiers:
        details["identifiers"] = [{"scheme": s, "id": i} for s, i in identifiers]
    if country:
        details["jurisdiction"] = {"code": country}
    return _statement(record, "entity", details, date)


def person(record: str, name: str, *, date="2025-06-20"):
    details = {"isComponent": False, "personType": "knownPerson", "names": [{"fullName": name}]}
    return _statement(record, "person", details, date)


def stake(
    record: str,
    subject: str,
    owner: str,
    *,
    share=None,
    start="2025-06-13",
    end=None,
    kind="shareholding",
    level="direct",
    date="2025-06-20",
    status="new",
    share_range=None,
):
    interest = {"type": kind, "directOrIndirect": level, "startDate": start}
    if share is not None:
        interest["share"] = {"exact": share}
    if share_range is not None:
        interest["share"] = share_range
    if end is not None:
        interest["endDate"] = end
    details = {
        "isComponent": False,
        "subject": subject,
        "interestedParty": owner,
        "interests": [interest],
    }
    return _statement(record, "relationship", details, date, status=status)


def _statement(record, record_type, details, date, *, status="new"):
    return {
        "statementId": f"{record}-{date}-{status}",
        "declarationSubject": record,
        "statementDate": date,
        "recordId": record,
        "recordType": record_type,
        "recordStatus": status,
        "recordDetails": details,
        "publicationDetails": PUBLICATION,
    }
