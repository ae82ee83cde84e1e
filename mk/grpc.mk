# The remote face: Python stubs from proto/ (generated, never committed) and the Go tools
# (grpcurl, ghz) that the gRPC tests and the README use.
GRPC_PROTO := proto/peaje/v1/peaje.proto
GRPC_STUBS := client/peaje/v1/peaje_pb2.py client/peaje/v1/peaje_pb2_grpc.py \
              client/peaje/v1/peaje_pb2.pyi client/peaje/v1/__init__.py

EXTRA_BUILD += grpc-stubs go-tools

.PHONY: grpc-stubs go-tools rpc-latency

grpc-stubs: $(GRPC_STUBS)
$(GRPC_STUBS) &: $(GRPC_PROTO) mk/grpc.mk | setup
	@echo "build: peaje.v1 stubs (grpc_tools.protoc)"
	@mkdir -p client/peaje/v1
	@$(PY) -m grpc_tools.protoc -Iproto --python_out=client --grpc_python_out=client \
		--pyi_out=client $(GRPC_PROTO)
	@echo '"""Generated from proto/peaje/v1 by `make grpc-stubs`; do not edit."""' \
		>client/peaje/v1/__init__.py
	@touch $(GRPC_STUBS)

# Without Go the build goes on and the grpcurl/ghz tests skip, saying why.
go-tools:
	@if command -v go >/dev/null; then scripts/install-go-tools.sh; \
	else echo "go-tools: go is not on PATH: grpcurl and ghz not installed, their tests skip"; fi

# Search vs Noop p50 over TCP and a Unix socket, and the wire size table (README, gRPC server).
rpc-latency: build
	@$(PY) -m peaje.bench.rpc_latency $(RPC_LATENCY_ARGS)
