"""The seed's MQTT load test, as its notes describe it (../shared/seed/), for Locust 2 and
paho-mqtt 1.6 (Debian 12's python3-locust and python3-paho-mqtt): the baseline that
tests/bench/locust_side_by_side.sh runs lampi-fleet's `seed-worst-case` against.

Each user is one device: it connects, then in a loop publishes a burst of 10 QoS 1
`devices/<id>/lamp/changed` messages and waits 1-2 s. A message's response time runs from
its publish call to its PUBACK; no PUBACK within 0.5 s is a failure, as in the seed.
The seed's helper (mqtt_locust) is not published, so this is written from its notes.

    locust -f seed_locustfile.py --headless -u 700 -r 100 -t 60s --host 127.0.0.1:1883
"""

import itertools
import json
import random
import threading
import time

import paho.mqtt.client as mqtt
from locust import User, between, events, task

TIMEOUT = 0.5       # the seed's tight bound on a PUBACK
REPEAT_COUNT = 10   # messages per touch/drag
DEVICE_ID_BASE = 0x1E0000000000
NAME = "lamp/changed"

_ids = itertools.count()


class MqttDevice(User):
    wait_time = between(1, 2)

    def on_start(self):
        self.device_id = "%012x" % (DEVICE_ID_BASE + next(_ids))
        self.pending = {}  # mid -> publish time
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=self.device_id + "_broker", clean_session=True)
        self.client.on_publish = self._on_publish
        host, _, port = self.host.partition(":")
        self.client.connect(host, int(port or 1883), keepalive=60)
        self.client.loop_start()

    def on_stop(self):
        self.client.loop_stop()
        self.client.disconnect()

    def _on_publish(self, _client, _userdata, mid):
        with self.lock:
            started = self.pending.pop(mid, None)
        if started is None:
            return
        elapsed = time.time() - started
        events.request.fire(request_type="MQTT", name=NAME, response_time=elapsed * 1000.0,
                            response_length=0,
                            exception=TimeoutError("PUBACK after %.3f s" % elapsed)
                            if elapsed > TIMEOUT else None, context={})

    def _sweep(self):
        """Messages still without a PUBACK past the timeout are failures (the previous
        burst's: the wait between bursts is longer than the timeout)."""
        now = time.time()
        with self.lock:
            late = [mid for mid, t in self.pending.items() if now - t > TIMEOUT]
            for mid in late:
                self.pending.pop(mid)
        for _ in late:
            events.request.fire(request_type="MQTT", name=NAME, response_time=TIMEOUT * 1000.0,
                                response_length=0, exception=TimeoutError("no PUBACK in 0.5 s"),
                                context={})

    @task
    def lamp_changed(self):
        self._sweep()
        topic = "devices/%s/lamp/changed" % self.device_id
        for _ in range(REPEAT_COUNT):
            payload = json.dumps({"on": random.choice([True, False]),
                                  "color": {"h": random.random(), "s": random.random()},
                                  "brightness": random.random(), "client": "locust"})
            started = time.time()
            with self.lock:
                info = self.client.publish(topic, payload, qos=1)
                self.pending[info.mid] = started
