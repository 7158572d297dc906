"""A fake Cloud Tasks queue on 127.0.0.1 that keeps tasks and rejects a repeated task name."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECT = "test-project"
LOCATION = "asia-northeast1"
QUEUE = "bridge-jobs"
QUEUE_PATH = f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}"


class FakeTaskQueue(ThreadingHTTPServer):
    """Stores created tasks in order; a name used before gets 409 ALREADY_EXISTS, as in Cloud Tasks."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tasks: list[dict[str, Any]] = []  # each: name, body (decoded JSON), headers
        self.rejected_names: list[str] = []
        self.lock = threading.Lock()
        self._numbers = iter(range(1, 1_000_000))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def create(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        task = request["task"]
        with self.lock:
            name = task.get("name") or f"{QUEUE_PATH}/tasks/generated-{next(self._numbers)}"
            if any(stored["name"] == name for stored in self.tasks):
                self.rejected_names.append(name)
                return 409, {"error": {"code": 409, "status": "ALREADY_EXISTS"}}
            http = task["appEngineHttpRequest"]
            self.tasks.append(
                {
                    "name": name,
                    "uri": http["relativeUri"],
                    "headers": http["headers"],
                    "body": json.loads(base64.b64decode(http["body"])),
                }
            )
            return 200, {"name": name}


class _Handler(BaseHTTPRequestHandler):
    server: FakeTaskQueue

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length))
        if self.path != f"/v2/{QUEUE_PATH}/tasks":
            status, payload = 404, {"error": {"code": 404}}
        else:
            status, payload = self.server.create(request)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve_queue() -> Iterator[FakeTaskQueue]:
    queue = FakeTaskQueue()
    thread = threading.Thread(target=queue.serve_forever, daemon=True)
    thread.start()
    try:
        yield queue
    finally:
        queue.shutdown()
        queue.server_close()


def deliver(client, task: dict[str, Any]):
    """POST a stored task to the app the way Cloud Tasks delivers it."""
    headers = {
        **task["headers"],
        "X-CloudTasks-QueueName": QUEUE,
        "X-CloudTasks-TaskName": task["name"].rsplit("/", 1)[-1],
    }
    return client.post(task["uri"], data=json.dumps(task["body"]), headers=headers)
