"""The audit-log viewer for auditors and central administrators (mounted at /manage/audit-log/)."""

urlpatterns: list = []
