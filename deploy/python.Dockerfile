# peaje API + Locust image: the peaje package (with its pybind11 extension and generated gRPC
# stubs) in a venv, on a slim runtime with Debian's Python 3.11. One image, two roles:
#   API:    uvicorn peaje.api:app (the default command)
#   Locust: locust -f <profile> --master | --worker (compose overrides the command)
# Build from the repository root: docker build -f deploy/python.Dockerfile -t peaje-python .

FROM debian:bookworm-slim AS build
ARG JOBS=2
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates python3 python3-dev python3-venv g++ cmake ninja-build \
 && rm -rf /var/lib/apt/lists/*
# Extra CAs for an intercepting proxy, if any (deploy/ca-certificates/README.md).
COPY deploy/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
COPY requirements.txt constraints.txt ./
COPY deploy/python-requirements.txt deploy/
# /opt/build: requirements.txt's "# build" section. /opt/peaje, what ships: its "# runtime"
# section and the Locust tools. Every version is the one constraints.txt pins.
RUN section() { awk -v want="# $1" '/^# /{s=$0; next} s==want && NF' requirements.txt; } \
 && section build >/tmp/build.txt && section runtime >/tmp/runtime.txt \
 && python3 -m venv /opt/build \
 && /opt/build/bin/pip install -q -r /tmp/build.txt -c constraints.txt \
 && python3 -m venv /opt/peaje \
 && /opt/peaje/bin/pip install -q -r /tmp/runtime.txt -r deploy/python-requirements.txt \
      -c constraints.txt
COPY pyproject.toml CMakeLists.txt README.md ./
COPY core/ core/
COPY bindings/ bindings/
COPY proto/ proto/
COPY client/ client/
# Stubs exactly as mk/grpc.mk generates them, then the wheel (scikit-build-core builds the
# extension through the top-level CMake project), installed without touching the pins.
RUN mkdir -p client/peaje/v1 \
 && /opt/build/bin/python -m grpc_tools.protoc -Iproto --python_out=client \
      --grpc_python_out=client --pyi_out=client proto/peaje/v1/peaje.proto \
 && echo '"""Generated from proto/peaje/v1 at image build; do not edit."""' \
      >client/peaje/v1/__init__.py \
 && CMAKE_BUILD_PARALLEL_LEVEL="${JOBS}" PATH="/opt/build/bin:$PATH" \
      /opt/build/bin/pip wheel -q --no-build-isolation --no-deps -w /wheels . \
 && /opt/peaje/bin/pip install -q --no-deps /wheels/peaje-*.whl \
 && /opt/peaje/bin/python -c "import peaje._native, peaje.v1.peaje_pb2_grpc" \
 && ln -s "$(/opt/peaje/bin/python -c 'import peaje.load, os; print(os.path.dirname(peaje.load.__file__))')/locustfile.py" \
      /opt/peaje/locustfile.py

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/peaje --shell /usr/sbin/nologin peaje
COPY --from=build /opt/peaje /opt/peaje
ENV PATH=/opt/peaje/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PEAJE_GRPC_TARGET=server:50051
USER 10001:10001
WORKDIR /home/peaje
EXPOSE 8000 8089
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]
CMD ["uvicorn", "peaje.api:app", "--host", "0.0.0.0", "--port", "8000"]
