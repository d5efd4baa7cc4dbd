#!/bin/sh
# Container start: migrate and seed an empty database (idempotent, locked against other machines booting at
# the same moment), then run the command: `serve` by default, or e.g. `worker` for a worker process group.
# BOOTSTRAP_SEED=false skips loading the sample comic into an empty database.
set -eu

if [ "$#" -eq 0 ]; then
    set -- serve --no-migrate
fi
if [ "${BOOTSTRAP_SEED:-true}" = "false" ]; then
    scriptorium bootstrap --no-seed
else
    scriptorium bootstrap --seed
fi
exec scriptorium "$@"
