"""Every audit action has a Thai label, details read compactly, renamed codes keep reading."""

import datetime as dt
import re
from pathlib import Path

import pytest

from audit.labels import EVENT_LABELS, describe_data, event_label, raw_data
from audit.services import record_event
from monitoring.audit_search import EventFilter, find_events

# Every app that may write an audit row (audit itself only stores them).
APPS = (
    "gfms_portal",
    "outbox",
    "agencies",
    "schedule",
    "tokens",
    "registration",
    "auth_gateway",
    "passwords",
    "monitoring",
)


def test_the_scan_covers_every_installed_app_of_the_project() -> None:
    from django.conf import settings

    ours = {
        app
        for app in settings.INSTALLED_APPS
        if "." not in app
        and app not in {"rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "audit"}
    }
    assert ours == set(APPS)


def test_audit_details_read_compactly_with_secrets_hidden() -> None:
    assert describe_data({}) == ""
    assert describe_data({"to": "returned", "from": "assigned", "ok": True}) == (
        "from: assigned; ok: true; to: returned"
    )
    # Dates and times stored as ISO text read in the Buddhist era, Bangkok time.
    assert describe_data({"note": "a; b", "old": {"opens": "2025-02-10"}}) == (
        "note: a; b; old: {opens: 10 ก.พ. 2568}"
    )
    assert describe_data({"locked_until": "2026-12-01T07:39:07.429239+00:00"}) == (
        "locked_until: 1 ธ.ค. 2569 14:39 น."
    )
    assert describe_data({"Password": "x", "citizen_id": "1234567890123"}) == (
        "Password: [hidden]; citizen_id: [hidden]"
    )


def test_every_action_code_in_the_code_base_has_a_label() -> None:
    """A new record_event("…") (or an import command's audit_action) without a label here fails."""
    root = Path(__file__).resolve().parents[2]
    written: set[str] = set()
    for app in APPS:
        for source in (root / app).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for first_argument in re.findall(r"record_event\(\s*([^()]+?),\s*at=", text):
                written |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', first_argument))
            written |= set(re.findall(r'audit_action = "([a-z_]+\.[a-z_]+)"', text))
    assert len(written) > 20
    assert written - set(EVENT_LABELS) == set()


@pytest.mark.django_db
def test_rows_written_under_a_renamed_code_read_and_filter_as_the_new_one(alice) -> None:
    at = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
    record_event("enrollment.reminders_sent", at=at, actor=alice)  # as written before the rename
    record_event("registration.reminders_sent", at=at, actor=alice)
    assert event_label("enrollment.reminders_sent") == event_label("registration.reminders_sent")
    found = find_events(EventFilter(action="registration.reminders_sent"))
    assert sorted(event.action for event in found) == [
        "enrollment.reminders_sent",
        "registration.reminders_sent",
    ]


def test_a_bookmarked_filter_on_a_renamed_code_still_selects_it() -> None:
    from django.http import QueryDict

    from monitoring.audit_forms import AuditLogFilter

    form = AuditLogFilter(QueryDict("action=enrollment.reminders_sent"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["action"] == "registration.reminders_sent"


def test_raw_data_is_json_with_iso_dates_and_secrets_hidden() -> None:
    assert raw_data({"locked_until": "2026-12-01T07:39:07+00:00", "otp": "123456"}) == (
        '{"locked_until": "2026-12-01T07:39:07+00:00", "otp": "[hidden]"}'
    )
