# The app in a container. UNTESTED: no Docker daemon was available where this was written
# (see docs/deployment.md). Build and run:
#   docker build -t sepconv-explorer .
#   docker run --rm -p 8501:8501 sepconv-explorer
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# Only what `streamlit run app.py` needs (no tests, benchmarks or asset scripts).
COPY .streamlit ./.streamlit
COPY app.py ./
COPY app_pages ./app_pages
COPY ui ./ui
COPY sepconv_core ./sepconv_core
COPY assets ./assets

RUN useradd --create-home --uid 10001 app
USER app

EXPOSE 8501
# The slim image has no curl: ask Python. /_stcore/health answers "ok" once the server is up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

# No file watcher: the files never change in the image, and watching costs CPU.
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.fileWatcherType", "none"]
