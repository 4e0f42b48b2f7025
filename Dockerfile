# Multi-stage build of the `wpt` binary. Build: `docker compose build`.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p wpt-server \
 && strip target/release/wpt

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/wpt --create-home wpt
COPY --from=build /src/target/release/wpt /usr/local/bin/wpt
COPY data/reference.toml /etc/wpt/reference.toml
USER wpt
WORKDIR /var/lib/wpt
ENV WPT_BIND=0.0.0.0:8080 \
    MALLOC_ARENA_MAX=2 \
    WPT_LOG_FORMAT=json \
    WPT_REFERENCE_DATA=/etc/wpt/reference.toml
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["wpt"]
CMD ["serve"]
