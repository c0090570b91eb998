# The smgitops controller image: `smgitops run` on ECS (terraform/modules/controller runs it).
# Build: make image. The package is installed with the `pipelines` extra, exactly as the test suite installs it.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY controller ./controller
# A virtualenv without pip of its own: the base image's pip installs into it, so no installer ships.
# DL3013 (pin pip versions): this installs the repository's own package; pyproject.toml bounds its dependencies.
# hadolint ignore=DL3013
RUN python -m venv --without-pip /opt/smgitops \
    && pip --python /opt/smgitops/bin/python install --no-cache-dir '.[pipelines]'

FROM python:3.11.11-slim-bookworm
# git: the controller follows a git repository; tzdata: change windows read IANA time zones.
# DL3008 (pin apt versions): Debian's security updates replace pinned versions; the base image tag is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/smgitops smgitops \
    && install --directory --owner=10001 --group=10001 /var/cache/smgitops
COPY --from=build /opt/smgitops /opt/smgitops
ENV PATH=/opt/smgitops/bin:$PATH \
    SMGITOPS_CACHE_DIR=/var/cache/smgitops \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001
WORKDIR /home/smgitops
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"]
ENTRYPOINT ["smgitops"]
CMD ["run"]
