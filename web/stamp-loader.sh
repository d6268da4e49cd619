#!/bin/sh
# Trunk post-build hook: writes the loader with the hashed name of the wasm-bindgen glue, so the
# loader's URL stays stable while every other file can be cached for a year.
set -eu
cd "$TRUNK_STAGING_DIR"
glue=$(ls refund-widget-*.js | grep -v '_bg' | head -n 1)
[ -n "$glue" ] || { echo "stamp-loader: no refund-widget-*.js in $TRUNK_STAGING_DIR" >&2; exit 1; }
sed "s/__GLUE__/$glue/" "$TRUNK_SOURCE_DIR/loader.js" > refund-widget.js
