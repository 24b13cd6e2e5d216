#!/usr/bin/env python3
"""Regenerates hsts-preload.txt.gz from the PyPI package `hstspreload` (Chromium's
transport_security_state_static list, force-https entries, packed by that package).

    pip download --no-deps hstspreload==2025.1.1
    unzip hstspreload-2025.1.1-py3-none-any.whl -d hsts
    python3 hsts_preload.py hsts > hsts-preload.txt && gzip -9 -n hsts-preload.txt

Output: one entry a line, sorted by name: '+' name (include_subdomains) or '-' name.
Update HSTS_PRELOAD_SOURCE / HSTS_PRELOAD_DATE in src/target/hsts_preload.rs with it.
"""
import sys

sys.path.insert(0, sys.argv[1])
import hstspreload as h  # noqa: E402

data = open(f"{sys.argv[1]}/hstspreload/hstspreload.bin", "rb").read()
entries = {}
for layer in h._JUMPTABLE:
    for jump in layer:
        if jump is None:
            continue
        block = bytearray(data[jump[0]:jump[0] + jump[1]])
        for is_leaf, include_subdomains, label in h._iter_entries(block):
            if is_leaf:
                entries[label.decode()] = bool(include_subdomains)
# The gTLDs the package answers without a table lookup: preloaded whole.
for tld in h._GTLD_INCLUDE_SUBDOMAINS:
    entries[tld.decode()] = True
for name in sorted(entries):
    print(("+" if entries[name] else "-") + name)
