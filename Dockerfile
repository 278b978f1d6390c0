# Production image: gunicorn serving the portal (behind nginx, see docker-compose.yml and
# deploy/nginx); the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH="/opt/venv/bin:$PATH"
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# collectstatic needs keys to import settings; these throwaway values never reach runtime.
RUN SECRET_KEY=build GFMS_ENCRYPTION_KEYS=$(python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
    GFMS_VAR_DIR=/tmp/var python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 gfms && mkdir -p /app/var && chown gfms /app/var
USER gfms
EXPOSE 8000
# gunicorn.conf.py: bind, workers, gthread, timeouts, access log (no query strings).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "gfms_portal.wsgi:application"]
