# Toxiproxy for compose's `latency` profile: a TCP proxy between an API and the gRPC servers
# that adds a fixed latency (and jitter) to every response. Debian packages no Toxiproxy, so it is
# built from the Go module proxy with Debian's Go (v2.7.0 is the newest that Go 1.19 builds).

FROM debian:bookworm-slim AS build
ARG TOXIPROXY_VERSION=v2.7.0
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates golang-go \
 && rm -rf /var/lib/apt/lists/*
# Extra CAs for an intercepting proxy, if any (deploy/ca-certificates/README.md).
COPY deploy/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null \
 && GOBIN=/out CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -ldflags "-s -w" \
      "github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}" \
      "github.com/Shopify/toxiproxy/v2/cmd/cli@${TOXIPROXY_VERSION}" \
 && mv /out/server /out/toxiproxy-server && mv /out/cli /out/toxiproxy-cli

FROM debian:bookworm-slim AS runtime
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin peaje
COPY --from=build /out/toxiproxy-server /out/toxiproxy-cli /usr/local/bin/
COPY deploy/toxiproxy-entrypoint.sh /usr/local/bin/
USER 10001:10001
ENV TOXIPROXY_LISTEN=0.0.0.0:50051 TOXIPROXY_UPSTREAM=server:50051 \
    TOXIPROXY_LATENCY_MS=5 TOXIPROXY_JITTER_MS=0 LOG_LEVEL=info
EXPOSE 50051 8474
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["toxiproxy-cli", "inspect", "server"]
ENTRYPOINT ["toxiproxy-entrypoint.sh"]
