#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything `npm start` and `npm test` need on a Debian 12 host: the Debian
# packages (host-setup.sh) and the npm packages. Idempotent and quick when
# nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash images/host-setup.sh
stamp=node_modules/.vfio-reset-lock.sha256
# Native addons (node-pty, ssh2's) are built for one Node: a new Node reinstalls them.
want=$( (cat package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	npm ci --no-audit --no-fund --loglevel=error
	echo "$want" > "$stamp"
fi
