"""The audit-log viewer for auditors and central administrators (mounted at /manage/audit-log/)."""

from django.urls import path

from monitoring import audit_views as views

urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("export.csv", views.audit_log_csv, name="audit_log_csv"),
    path("export.xlsx", views.audit_log_xlsx, name="audit_log_xlsx"),
]
