# The gateway, configured only by environment variables (see README's configuration table).
# Build: docker build -t payables-gateway .   (the OTLP exporter is included; TRACING_ENABLED turns it on)
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Runtime dependencies only, exact versions and hashes from the lock (scripts/lock.sh), installed
# into a prefix copied into the final image; then the project itself, resolving nothing again.
COPY requirements/runtime.lock ./requirements/
RUN pip install --prefix=/install --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY sandbox ./sandbox
RUN pip install --prefix=/install --no-deps .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8000 \
    LOG_FORMAT=json
COPY --from=build /install /usr/local
RUN groupadd --gid 10001 gateway \
 && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin gateway
USER 10001:10001
WORKDIR /home/gateway
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"GATEWAY_PORT\", \"8000\")}/healthz', timeout=2)"
# uvicorn drains requests in flight for up to 10 s on SIGTERM; give it that before SIGKILL.
STOPSIGNAL SIGTERM
CMD ["gateway", "serve"]
