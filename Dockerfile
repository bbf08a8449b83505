# The bot in a container: slim Python, a non-root user, catalogs compiled at build time,
# the database and the export packs on a volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir babel \
 && pybabel compile -d bot/locales -D bot \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOT_DB=/var/lib/creative-spark/consultation.sqlite3 \
    BOT_EXPORT_DIR=/var/lib/creative-spark/exports \
    BOT_LISTEN=0.0.0.0
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && useradd --system --create-home --home-dir /var/lib/creative-spark spark
USER spark
WORKDIR /var/lib/creative-spark
VOLUME ["/var/lib/creative-spark"]
# Webhook mode listens here when BOT_WEBHOOK_URL is set; polling needs no port. Inside the
# container it listens on every interface: publish it on the host's loopback only
# (`-p 127.0.0.1:8443:8443`), behind the reverse proxy the README shows.
EXPOSE 8443
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
