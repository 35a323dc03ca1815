# Dockerfile - the one container image of the three Cloud Run services (scripts/deploy).
# Stage "build" compiles build/bin/functions on Debian bookworm with the -dev packages;
# the final stage is debian:bookworm-slim with only the shared libraries the binary links
# (libh2o-evloop.so.0.13, libjansson.so.4, libjwt.so.0, libcrypto.so.3, libmimalloc.so.2 ->
# libh2o-evloop0.13 libjansson4 libjwt0 libssl3 libmimalloc2.0), libcurl4 for libcurl.so.4, which the
# binary does not link but loads with dlopen at its first outbound call
# (runtime/src/gcp/gcp_curl.c; without it every Google API call fails), and CA
# certificates for HTTPS to Google APIs, running as a non-root user.
# Runtime configuration comes from the environment: PORT (set by Cloud Run), and
# FUNCTION_TARGET plus the functions' variables set per service by scripts/deploy.

FROM debian:bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config \
        libh2o-evloop-dev libjansson-dev libcurl4-openssl-dev libjwt-dev libssl-dev \
        libmimalloc-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY runtime/ runtime/
COPY shared/ shared/
COPY functions/ functions/
RUN make -j"$(nproc)" build/bin/functions

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates libh2o-evloop0.13 libjansson4 libcurl4 libjwt0 libssl3 libmimalloc2.0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 functions \
    && useradd --system --uid 10001 --gid functions --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin functions
COPY --from=build /src/build/bin/functions /usr/local/bin/functions
USER 10001:10001
ENV PORT=8080
# libcurl pulls in GnuTLS (through librtmp) without using it; its load-time global init
# costs about 1.5 ms of cold start and 1 MiB of RSS for nothing.
ENV GNUTLS_NO_IMPLICIT_INIT=1
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/functions"]
