# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint browser omegat office quality bench fuzz clean native unnative

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[all,test]'
	$(BIN)/tmpipe models prepare
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tmpipe run

# Headless Chromium and a CJK font for the report tests (Debian packages); the tests skip
# with a reason without Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || ( [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null) \
	  || echo "make: chromium not installed; browser tests will be skipped" )

# OmegaT 3.6 for the CAT-tool round-trip test (Debian package); the test skips without it.
omegat:
	@command -v omegat >/dev/null 2>&1 || ( [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq omegat >/dev/null) \
	  || echo "make: omegat not installed; the OmegaT test will be skipped" )

# LibreOffice Writer (Debian package) for the document tests that open the English DOCX;
# they are skipped with a reason without it.
office:
	@command -v soffice >/dev/null 2>&1 || ( [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui >/dev/null) \
	  || echo "make: libreoffice not installed; LibreOffice tests will be skipped" )

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench

test: $(STAMP) browser omegat office lint
	$(BIN)/pytest

# Not part of `make test`: benchmarks, long fuzzing, translation quality (slow, need the model).
bench: $(STAMP)
	$(BIN)/python bench/bench_segment.py
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_tm.py
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_align.py
	$(BIN)/python bench/bench_e2e.py
	$(BIN)/python bench/bench_batch.py

fuzz: $(STAMP)
	$(BIN)/python bench/fuzz/run.py --examples 10000 --json output/fuzz.json
	TMPIPE_SLOW=1 $(BIN)/pytest tests/test_reliability_input.py -k 200mb

quality: $(STAMP)
	$(BIN)/python bench/quality/run.py
	$(BIN)/python bench/quality/risk.py

# Opt-in: llama.cpp compiled for this machine's CPU (GGML_NATIVE=ON) from the xllamacpp sdist
# of the pinned version, installed over the prebuilt wheel; `make unnative` goes back. The wheel
# is kept in .venv/native/<cpu>/ (keyed by the CPU's feature flags), the prebuilt one in
# .venv/native/prebuilt/, so bench/bench_engine.py --build can compare both. BoringSSL and
# llguidance are left out: CMake would fetch them from git, and the engine uses neither.
XLLAMACPP := $(shell sed -n 's/.*"\(xllamacpp==[^"]*\)".*/\1/p' pyproject.toml)
NATIVE_CPU := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | md5sum | cut -c1-12)
NATIVE_DIR := $(VENV)/native/$(NATIVE_CPU)
NATIVE_JOBS ?= 2
NATIVE_CMAKE_ARGS ?= -DGGML_NATIVE=ON -DLLAMA_BUILD_BORINGSSL=OFF -DLLAMA_LLGUIDANCE=OFF

native: $(STAMP)
	@mkdir -p $(NATIVE_DIR) $(VENV)/native/prebuilt
	test -n "$$(ls $(VENV)/native/prebuilt/xllamacpp-*.whl 2>/dev/null)" || $(BIN)/python -m pip \
	  download -q --no-deps --only-binary :all: -d $(VENV)/native/prebuilt '$(XLLAMACPP)'
	test -n "$$(ls $(NATIVE_DIR)/xllamacpp-*.whl 2>/dev/null)" || \
	  NPROC=$(NATIVE_JOBS) CMAKE_ARGS='$(NATIVE_CMAKE_ARGS)' nice -n 19 $(BIN)/python -m pip wheel \
	  --no-cache-dir --no-deps --no-binary xllamacpp -w $(NATIVE_DIR) '$(XLLAMACPP)'
	$(BIN)/python -m pip install -q --force-reinstall --no-deps $(NATIVE_DIR)/xllamacpp-*.whl
	@$(BIN)/python -c 'import xllamacpp; print("llama.cpp:", xllamacpp.get_system_info())'
	@echo "native llama.cpp installed in $(VENV); back to the prebuilt wheel: make unnative"
	@echo "compare: $(BIN)/python bench/bench_engine.py --variants prefix+context --limit 20 \
	  --build prebuilt=$$(ls $(VENV)/native/prebuilt/xllamacpp-*.whl) --build native=$$(ls $(NATIVE_DIR)/xllamacpp-*.whl)"

unnative: $(STAMP)
	$(BIN)/python -m pip install -q --force-reinstall --no-deps --only-binary :all: '$(XLLAMACPP)'
	@$(BIN)/python -c 'import xllamacpp; print("llama.cpp:", xllamacpp.get_system_info())'

clean:
	rm -rf $(VENV) output/*/ output/*.sqlite*
