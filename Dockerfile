# syntax=docker/dockerfile:1
# The SSO portal image: one image for web (gunicorn), the Celery worker and beat, and the
# one-shot migrate job (see docker-compose.yml). Settings come from the environment only
# (sso/settings.py, .env.example).

FROM python:3.11-slim

# WEB_CONCURRENCY is gunicorn's default worker count; override it per deployment.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sso.settings \
    WEB_CONCURRENCY=3

# gettext provides msgfmt for compilemessages; xmlsec1 signs SAML messages (pysaml2 calls it).
# All Python dependencies ship as wheels (psycopg[binary], argon2-cffi, cryptography), so no
# compiler is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext xmlsec1 \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a home directory (gunicorn puts its control socket under $HOME).
RUN groupadd --system --gid 1000 sso \
    && useradd --system --uid 1000 --gid sso --create-home --home-dir /home/sso \
       --shell /usr/sbin/nologin sso

WORKDIR /app

# Dependencies first, so code changes do not invalidate this layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Build-time assets: translations (.mo) and the hashed, compressed static files served by
# whitenoise. The SECRET_KEY here is a throwaway that exists only for this RUN step (it is not
# baked into the image environment); DEBUG stays unset so the manifest storage is used.
RUN SECRET_KEY=build-only-throwaway-key-not-used-at-runtime \
       python manage.py compilemessages \
    && SECRET_KEY=build-only-throwaway-key-not-used-at-runtime \
       python manage.py collectstatic --noinput

USER sso

EXPOSE 8000

# Access log to stdout, error log to stderr; the heartbeat file lives in memory (/dev/shm).
CMD ["gunicorn", "sso.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--error-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm"]
