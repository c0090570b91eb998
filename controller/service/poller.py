"""The SQS queue EventBridge rules deliver events to, read by a background thread while this replica leads.

The loop starts one `EventPoller`; it long-polls the queue, parses each message body as an EventBridge event,
hands it to `on_event` (which maps it to keys and queues them) and deletes the batch. A standby replica does
not read, so events wait for the leader. Messages that are not JSON objects are logged and deleted. Errors
reading the queue are logged and retried after a pause that doubles up to a minute, so a missing queue or a
denied permission does not turn into a storm of calls.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from controller.aws.errors import classify, describe
from controller.kinds.grants import Grant
from controller.service.logging import get_logger

MAX_PAUSE = 60.0
PERMISSIONS = (
    Grant("controller", "Queue", ("sqs:ReceiveMessage", "sqs:DeleteMessage"), ("{queue}",)),
    Grant("controller", "AssumeRoles", ("sts:AssumeRole",), ("{assumed_role}",)),
)
"""The task role reads the queue (DeleteMessageBatch is authorised as sqs:DeleteMessage) and assumes the roles
environments.yaml names (the registry's and each environment's `role`)."""
log = get_logger("smgitops.events")


class EventPoller(threading.Thread):
    """Reads `queue_url` with `sqs` until `stop()`; reads only while `active()` is true."""

    def __init__(
        self,
        sqs: Any,
        *,
        queue_url: str,
        on_event: Callable[[Mapping[str, Any]], None],
        active: Callable[[], bool],
        wait_seconds: int = 10,
    ) -> None:
        super().__init__(name="events", daemon=True)
        self.sqs = sqs
        self.queue_url = queue_url
        self.on_event = on_event
        self.active = active
        self.wait_seconds = wait_seconds
        self._stopped = threading.Event()
        self._pause = 1.0

    def run(self) -> None:
        while not self._stopped.is_set():
            if not self.active():
                self._stopped.wait(0.2)
                continue
            try:
                self.poll_once()
                self._pause = 1.0
            except Exception as error:
                log.error("reading the event queue failed", error=describe(error), kind=classify(error))
                self._stopped.wait(self._pause)
                self._pause = min(self._pause * 2, MAX_PAUSE)

    def poll_once(self) -> int:
        """Receive one batch, hand every event on, delete the batch; return how many messages there were."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds
        )
        messages = response.get("Messages", [])
        for message in messages:
            event = _parse(message.get("Body", ""))
            if event is None:
                log.warning("dropped a message that is not an event", message_id=message.get("MessageId"))
            else:
                self.on_event(event)
        if messages:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(number), "ReceiptHandle": message["ReceiptHandle"]}
                    for number, message in enumerate(messages)
                ],
            )
        return len(messages)

    def stop(self) -> None:
        self._stopped.set()


def _parse(body: str) -> Mapping[str, Any] | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
