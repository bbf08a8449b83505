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
    BOT_EXPORT_DIR=/var/lib/creative-spark/exports
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && useradd --system --create-home --home-dir /var/lib/creative-spark spark
USER spark
WORKDIR /var/lib/creative-spark
VOLUME ["/var/lib/creative-spark"]
# Webhook mode listens here when BOT_WEBHOOK_URL is set; polling needs no port.
EXPOSE 8443
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
