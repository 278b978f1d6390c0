"""The migration schedule page for central administrators (mounted at /manage/schedule/)."""

urlpatterns: list = []
