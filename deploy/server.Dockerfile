# peaje-server image: the C++ gRPC service, built with the repository's own CMake project on
# Debian's gRPC toolchain, shipped on a slim runtime with only the shared libraries it loads.
# Build from the repository root: docker build -f deploy/server.Dockerfile -t peaje-server .

FROM debian:bookworm-slim AS build
ARG JOBS=2
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the server build reads, so Python-side edits do not rebuild it.
COPY pyproject.toml CMakeLists.txt ./
COPY core/ core/
COPY proto/ proto/
COPY server/ server/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPEAJE_BUILD_SERVER=ON -DPEAJE_BUILD_TESTS=OFF -DPEAJE_BUILD_BENCHMARKS=OFF \
      -DPEAJE_BUILD_BINDINGS=OFF \
 && cmake --build /build -j "${JOBS}" --target peaje-server \
 && strip /build/server/peaje-server
COPY deploy/grpc_health_probe.cpp deploy/
RUN g++ -std=c++20 -O2 -o /build/grpc-health-probe deploy/grpc_health_probe.cpp \
      $(pkg-config --cflags --libs grpc++) \
 && strip /build/grpc-health-probe

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin peaje
COPY --from=build /build/server/peaje-server /build/grpc-health-probe /usr/local/bin/
USER 10001:10001
ENV PEAJE_LISTEN=0.0.0.0:50051
EXPOSE 50051
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["grpc-health-probe", "127.0.0.1:50051"]
# SIGTERM starts the server's graceful drain (PEAJE_DRAIN_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["peaje-server"]
