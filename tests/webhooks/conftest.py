"""A real HTTP receiver on loopback, and alerts to send to it."""

import datetime
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.choices import AlertKind
from alerts.services import alert_raise
from registry.choices import DataAccess, RiskLevel
from tests.factories import ContractFactory, EntityFactory, VendorFactory


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver answers (``script``, one answer per request, the last one repeated)
    and what it received."""

    host: str
    port: int
    script: list[tuple[int, dict[str, str]]] = field(default_factory=lambda: [(200, {})])
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hooks/vendor-registry") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def answer(self) -> tuple[int, dict[str, str]]:
        index = min(len(self.requests) - 1, len(self.script) - 1)
        return self.script[index]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record_and_answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            receiver.requests.append(
                Received(self.command, self.path, dict(self.headers.items()), body)
            )
            status, headers = receiver.answer()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = _record_and_answer
        do_GET = _record_and_answer

        def log_message(self, format, *args):  # keep the test output quiet
            pass

    return Handler


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 (a free port) in a thread, recording every request."""
    state = Receiver(host="127.0.0.1", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def scale_contract(db):
    """Scale AI, a restricted-data vendor, and its contract with a change-of-control clause."""
    vendor = VendorFactory(
        entity=EntityFactory(name="Scale AI"), data_access=DataAccess.RESTRICTED, tier=1
    )
    return ContractFactory(
        vendor=vendor,
        reference="SCALE-2024-001",
        change_of_control_clause=True,
        coc_termination_window_days=30,
    )


@pytest.fixture
def raise_coc_alert(scale_contract, django_capture_on_commit_callbacks):
    """Raise the reference scenario's change-of-control alert and run what follows the commit
    (e-mail, webhook deliveries and their tasks, in-process)."""

    def raise_it(dedup_key: str = "coc:scale"):
        with django_capture_on_commit_callbacks(execute=True):
            alert, _created = alert_raise(
                dedup_key=dedup_key,
                kind=AlertKind.CHANGE_OF_CONTROL,
                severity=RiskLevel.HIGH,
                title="Change of control at Scale AI: review contract SCALE-2024-001",
                vendor=scale_contract.vendor,
                contract=scale_contract,
                due_date=datetime.date(2025, 7, 13),
            )
        return alert

    return raise_it
