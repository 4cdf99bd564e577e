# syntax=docker/dockerfile:1
# Build stage: install the pinned dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

# Runtime stage: the virtualenv, the migrations, a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_ENV=prod \
    APP_STORAGE_DIR=/data/files \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    WEB_CONCURRENCY=4
RUN groupadd --system app && useradd --system --gid app --home-dir /srv app \
    && mkdir -p /data/files /tmp/metrics && chown -R app:app /data /tmp/metrics
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=app:app alembic.ini ./
COPY --chown=app:app migrations ./migrations
COPY --chown=app:app app ./app
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Migrations first (idempotent), then several uvicorn workers; APP_DATABASE_URL and secrets come from the
# environment, and production settings refuse to start with placeholder secrets.
CMD ["sh", "-c", "python -m app migrate && exec python -m app serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY}"]
