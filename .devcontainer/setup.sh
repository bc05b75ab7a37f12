#!/usr/bin/env bash
# Codespaces / dev container setup: Deno (pinned), Jupyter from Debian, the Deno
# kernelspec and the project's npm dependencies.
set -euo pipefail
DENO_VERSION=2.9.6
sudo npm install -g "deno@${DENO_VERSION}"
sudo apt-get update
sudo apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-notebook || \
  sudo apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient
deno install
deno task kernel
echo "Ready: open notebooks/01_theory.ipynb and pick the 'Deno' kernel."
