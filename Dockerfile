# The service as a container image: one image for the web server and the job workers.
# UNTESTED: no container engine runs on the machines this project is built and tested on
# (see the README's "Running the service"); `hah up` is the tested way to start it.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scheduler scheduler
COPY solver solver
COPY web web
RUN pip install --no-cache-dir . && hah compile
RUN useradd --create-home hah && mkdir -p /app/instance && chown hah /app/instance
USER hah
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# The web server; the workers run the same image with `hah worker` (compose.yaml).
CMD ["hah", "serve", "--host", "0.0.0.0", "--port", "8000"]
