# syntax=docker/dockerfile:1
# The base image is pinned to an exact Python and Debian release, so that a rebuild gives the same
# interpreter; move the pin on purpose (a Python patch release), then rebuild and run the tests.
ARG PYTHON_IMAGE=python:3.11.17-slim-bookworm

# Build stage: install the pinned dependencies into a virtualenv.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

# Runtime stage: the virtualenv, the migrations, a non-root user.
FROM ${PYTHON_IMAGE}
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
# Uploaded files with APP_STORAGE_BACKEND=local (the default): keep them on a volume, not in the
# container's layer. With APP_STORAGE_BACKEND=s3 (compose.yaml) the directory stays empty.
VOLUME ["/data/files"]
EXPOSE 8000
# Ready, not just alive: /readyz answers 200 while the database answers, 503 while it does not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
# Migrations first (idempotent; on PostgreSQL an advisory lock keeps two containers' migrations apart),
# then several uvicorn workers. APP_DATABASE_URL and the secrets come from the environment, and production
# settings refuse to start without them (one line each, exit status 2). compose.yaml runs the migration
# as its own service and starts the API with `python -m app serve` alone.
CMD ["sh", "-c", "python -m app migrate && exec python -m app serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY}"]
