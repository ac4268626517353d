# 重大项目全链条推进平台 — one image for web (gunicorn), Celery worker and Celery beat.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    REPORT_FONT_DIR=/app/var/fonts \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# WeasyPrint (the PDF documents) draws with Pango and subsets fonts with HarfBuzz.
# postgresql-client: pg_dump/pg_restore for manage.py backup/restore (the compose backup
# service). pg_dump must be at least the server's major version (postgres:16 in
# docker-compose.yml); the base image's Debian (trixie) ships 17, which reads 16. The build
# fails here if a base image brings an older one (bookworm's 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        postgresql-client \
    && pg_dump --version | awk '{ if ($3 + 0 < 16) { print "pg_dump " $3 " < 16"; exit 1 } }' \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from pyproject.toml alone, so a source change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps -e .

# Static files are collected into the image (var/staticfiles) and served by whitenoise, and the
# PDF fonts converted into var/fonts (REPORT_FONT_DIR above). The key below exists only for this
# build step; the running containers must be given SECRET_KEY.
RUN export SECRET_KEY=build-only-collectstatic-key-0123456789-abcdefghijklmnopqrstuvwxyz \
    && python manage.py collectstatic --noinput \
    && python manage.py prepare_fonts \
    && mkdir -p var/media var/celery var/backups \
    && chown -R app:app var

USER app

EXPOSE 8000

# gunicorn's settings (workers from WEB_CONCURRENCY, timeouts, worker recycling, access log to
# stdout) are in gunicorn.conf.py.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
