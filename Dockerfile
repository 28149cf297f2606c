# One image for every service of docker-compose.yml: migrate, sidecar and (with the notebook extra) jupyter.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ARG EXTRAS=""
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY toolkit ./toolkit
COPY sidecar ./sidecar
COPY migrations ./migrations
RUN pip install --no-cache-dir -c constraints.txt ".${EXTRAS:+[$EXTRAS]}"
EXPOSE 8000
CMD ["queaccount", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
