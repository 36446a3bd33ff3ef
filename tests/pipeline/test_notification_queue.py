"""Webhook deliveries and e-mails have a queue of their own, so a slow receiver never holds up
the pipeline (issue: a 5 s receiver delayed event processing from ~70 ms to 3.5 s)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import current_app

from alerts.models import WebhookDelivery
from alerts.webhooks import webhook_endpoint_save
from registry.choices import EventStatus
from registry.models import OwnershipEvent
from tests.conftest import require_service
from tests.pipeline.scenario import build_reference_registry, log_reference_events
from tests.pipeline.worker import celery_worker, real_worker_possible, wait_for

RECEIVER_SECONDS = 4


def _queue_of(task_name: str) -> str:
    return current_app.amqp.router.route({}, task_name)["queue"].name


def test_webhooks_and_e_mail_are_routed_to_the_notifications_queue(settings):
    default = current_app.conf.task_default_queue
    assert _queue_of("alerts.tasks.deliver_webhook") == f"{default}-notifications"
    assert _queue_of("alerts.tasks.send_email_notification") == f"{default}-notifications"
    for pipeline_task in (
        "registry.tasks.process_event",
        "registry.tasks.process_recheck",
        "registry.tasks.process_chunk",
        "registry.tasks.sweep_pending",
        "alerts.tasks.sweep_webhook_deliveries",
    ):
        assert _queue_of(pipeline_task) == default


def test_the_notifications_queue_follows_a_changed_default_queue():
    conf = current_app.conf
    saved = conf.task_default_queue
    conf.task_default_queue = "vr-elsewhere"
    try:
        assert _queue_of("alerts.tasks.deliver_webhook") == "vr-elsewhere-notifications"
        assert _queue_of("registry.tasks.process_event") == "vr-elsewhere"
    finally:
        conf.task_default_queue = saved


class _SlowReceiver(BaseHTTPRequestHandler):
    """Takes RECEIVER_SECONDS to answer each delivery, well inside the 5 s timeout."""

    received: list[float] = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _SlowReceiver.received.append(time.monotonic())
        time.sleep(RECEIVER_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_slow_webhook_receiver_does_not_delay_the_next_event(settings):
    require_service(real_worker_possible(), "Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowReceiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _SlowReceiver.received = []
    try:
        webhook_endpoint_save(
            name="Ticketing", url=f"http://127.0.0.1:{server.server_address[1]}/hooks"
        )
        # One solo worker per queue, each sending what it queues through the broker as in
        # production: if deliveries shared the pipeline's queue, the second event would wait
        # behind the first event's deliveries (RECEIVER_SECONDS each).
        sends = {"CELERY_TASK_ALWAYS_EAGER": "false"}
        with (
            celery_worker(settings.REDIS_URL, consumes="pipeline", extra_env=sends) as queue,
            celery_worker(
                settings.REDIS_URL, queue=queue, consumes="notifications", extra_env=sends
            ),
        ):
            ref = build_reference_registry()
            acquisition, move = log_reference_events(ref)
            assert wait_for(lambda: bool(_SlowReceiver.received), timeout=30)
            first_delivery_started = _SlowReceiver.received[0]
            assert wait_for(
                lambda: (
                    set(
                        OwnershipEvent.objects.filter(pk__in=[acquisition.pk, move.pk]).values_list(
                            "status", flat=True
                        )
                    )
                    == {EventStatus.PROCESSED}
                ),
                timeout=30,
            )
            both_processed = time.monotonic()
            deliveries = WebhookDelivery.objects.count()
            delivered_by_then = WebhookDelivery.objects.filter(status="delivered").count()
    finally:
        server.shutdown()
        server.server_close()
    # The acquisition raises four alerts (two risk_increased, one change_of_control, one
    # new_influence), each a delivery; the pipeline finished while they were still being sent.
    assert deliveries >= 3
    assert delivered_by_then < deliveries
    assert both_processed - first_delivery_started < RECEIVER_SECONDS
