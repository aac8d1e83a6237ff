# The README's two commands: `make demo` and `make test`. Both set up .venv first
# when needed; every target is idempotent.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.mmfpn-setup
CONFIG ?= configs/tiny/faster-rcnn_r18-w24_paper-fpn_demo.py
# auto: mixed precision where the machine runs it natively (GPU, AVX512-BF16/AMX CPU),
# float32 elsewhere; fp32 or amp force either.
PRECISION ?= auto
export OMP_NUM_THREADS ?= 2
# pytest-xdist workers of the suite: one per core, at most 4 (each imports torch and mmdet).
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n : 4 )))
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

.PHONY: setup demo test test-fast test-accuracy coverage data real clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml tools/setup_env.sh
	bash tools/setup_env.sh
	touch $(STAMP)

data: setup
	$(PY) tools/make_tiny.py

# The real tree-crown set (data/trees/) from the deepforest wheel's annotated images.
real: setup
	$(PY) tools/make_real.py

demo: setup data
	$(PY) tools/demo.py $(CONFIG) --precision $(PRECISION)

test: setup
	$(PYTEST); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# The inner loop: everything but the end-to-end runs.
test-fast: setup
	$(PYTEST) -m "not slow and not accuracy"

# Line coverage of mmfpn/ over the whole suite (the tools' subprocesses included).
coverage: setup
	rm -rf work_dirs/coverage && mkdir -p work_dirs/coverage
	$(PY) -m coverage run -m pytest; $(PY) -m coverage combine -q; $(PY) -m coverage report

# The README's stated demo mAP, retrained and checked (about 5 min on 2 cores).
test-accuracy: setup
	$(PY) -m pytest -m accuracy

clean:
	rm -rf work_dirs data/tiny
