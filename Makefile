# Two commands do everything on a fresh Linux machine:
#   make run    set up .venv if missing, then run the default case
#   make test   set up .venv if missing, then run the tests (serial, then MPI with 2 ranks)
# Tests: tests/unit, tests/verification, tests/system (one folder: `$(PYTEST) tests/unit`).
# The MPI group is the marker @pytest.mark.mpi (in any folder), not a folder: the second
# line of `make test` runs the tests marked mpi (and not slow) on 2 ranks.
VENV    ?= .venv
PY      := $(VENV)/bin/python
CASE    ?= cases/default.yaml
PYTEST  := $(PY) -m pytest
export UCX_TLS ?= self,sm,tcp
export OMP_NUM_THREADS ?= 1

.PHONY: run test test-slow test-mpi bench venv clean
.DEFAULT_GOAL := run

venv: $(VENV)/.installed

# Re-installs only when pyproject.toml changes; a second `make` starts in seconds.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { P=$${PYTHON:-$$(scripts/find_python.sh)} && echo "creating $(VENV) with $$P" && $$P -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dolfinx,test]'
	@touch $@

run: venv
	$(VENV)/bin/dendrite run $(CASE)

LINTED := solver meshes tests bench scripts examples docs/notebooks

test: venv
	$(VENV)/bin/ruff check $(LINTED)
	$(PYTEST) -q
	$(VENV)/bin/mpiexec -n 2 $(PY) -m pytest -q -m "mpi and not slow" -p no:cacheprovider

test-slow: venv
	$(PYTEST) -q -m slow

bench: venv
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) results .pytest_cache
