# The talk reproduced row by row (issue 14): its compare_to table beside ours, its segfault,
# its flamegraphs. TALK_ARGS passes options through, e.g. make talk TALK_ARGS="--profile tiny".
TALK_ARGS ?=
COLUMN ?= value-O0
FLAME_SECONDS ?= 5

.PHONY: talk talk-full talk-segfault talk-flamegraph

talk: build-py
	@$(PY) -m peaje talk $(TALK_ARGS)

talk-full: build-py
	@$(PY) -m peaje talk --full $(TALK_ARGS)

talk-segfault: build-py
	@$(PY) -m peaje talk segfault

# py-spy record --native of one column (COLUMN=python|cython-O0|value-O0|...|pointer-O3).
talk-flamegraph: build-py
	@mkdir -p results
	@$(PY) -m peaje talk flamegraph $(COLUMN) --seconds $(FLAME_SECONDS) \
	  -o results/talk-flame-$(COLUMN).svg
