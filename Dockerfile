# SPDX-License-Identifier: EUPL-1.2
# One image for every Glansrijk process: the APIs, the worker, the beat and the one-shot migration.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system glansrijk && useradd --system --gid glansrijk --home-dir /app --shell /usr/sbin/nologin glansrijk

WORKDIR /app
COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY services ./services
COPY migrations ./migrations
# `glansrijk migrate` reads alembic.ini and migrations/ next to the `services` package, which a plain wheel
# install does not carry: install the project in place (editable) so the package is imported from /app.
RUN pip install -e . && chown -R root:root /app && chmod -R a+rX /app

USER glansrijk
EXPOSE 8000

# The APIs answer `{base}/health`; set HEALTHCHECK_PATH per service (the compose file does). Processes without
# HTTP (worker, beat, migrate) disable the check in the compose file.
ENV HEALTHCHECK_PATH=/intake/v1/health
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:8000' + os.environ['HEALTHCHECK_PATH'], timeout=4)"

CMD ["glansrijk", "serve", "all", "--host", "0.0.0.0", "--port", "8000"]
