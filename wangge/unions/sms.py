"""Pluggable SMS providers for one-time codes. `settings.WANGGE_SMS_BACKEND` is the dotted path of a class
with `send(*, phone, message)`; the default only logs, and keeps the last messages in memory so that a
developer (or a test) can read the code that would have been sent."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.core.privacy import mask_phone

logger = logging.getLogger("wangge.sms")

DEFAULT_BACKEND = "wangge.unions.sms.LoggingSmsBackend"


class SmsError(Exception):
    """The provider could not send the message."""


class LoggingSmsBackend:
    """Writes each message to the log and to `OUTBOX` (the last 200 messages of this process)."""

    OUTBOX: deque[dict] = deque(maxlen=200)
    _lock = threading.Lock()

    def send(self, *, phone: str, message: str) -> None:
        with self._lock:
            self.OUTBOX.append({"phone": phone, "message": message, "at": timezone.now()})
        logger.info("sms to %s: %s", mask_phone(phone), message)


def sms_backend():
    path = getattr(settings, "WANGGE_SMS_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)()


def sms_send(*, phone: str, message: str) -> None:
    sms_backend().send(phone=phone, message=message)


def sent_messages(phone: str | None = None, *, since: datetime | None = None) -> list[dict]:
    """What the logging backend has 'sent' (newest last), for one phone or all."""
    with LoggingSmsBackend._lock:
        items = list(LoggingSmsBackend.OUTBOX)
    return [m for m in items if (phone is None or m["phone"] == phone) and (since is None or m["at"] >= since)]
