# Turns captured ClientHellos (testssl.sh's etc/client-simulation.txt, and hellos captured on
# this machine from Debian 12's clients) into probe-server/data/clients.toml.
import os, re, sys

# Usage: python3 convert_captures.py TESTSSL_CLIENT_SIMULATION_TXT OUT_TOML
# (the testssl.sh file at the commit below; the local captures are in captures/), or
#        python3 convert_captures.py --local-only OUT_TOML
# to keep OUT_TOML's testssl.sh entries as they are and rebuild only the local captures.
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'captures')

TESTSSL_COMMIT = "9fdf8028baba86d83218db294a5776384ec8c332"

def parse_testssl(path):
    entries, cur = {}, None
    for line in open(path):
        m = re.match(r'\s*(\w+)\+=\((.*)\)\s*$', line)
        if not m: continue
        k, v = m.group(1), m.group(2)
        if v.startswith('"'): v = v[1:-1]
        if k == 'names':
            cur = {}; entries[v] = cur
        if cur is not None: cur[k] = v
    return entries

def grease(x): return (x & 0x0f0f) == 0x0a0a and (x >> 8) == (x & 0xff)

def parse_hello(hexs):
    b = bytes.fromhex(hexs)
    assert b[0] == 0x16
    body = b[5:]
    assert body[0] == 1
    hl = int.from_bytes(body[1:4], 'big'); h = body[4:4+hl]
    i = 0
    legacy = int.from_bytes(h[0:2], 'big'); i = 2 + 32
    sid = h[i]; i += 1 + sid
    n = int.from_bytes(h[i:i+2], 'big'); i += 2
    suites = [int.from_bytes(h[i+j:i+j+2], 'big') for j in range(0, n, 2)]; i += n
    c = h[i]; comp = list(h[i+1:i+1+c]); i += 1 + c
    exts = []
    if i < len(h):
        el = int.from_bytes(h[i:i+2], 'big'); i += 2
        end = i + el
        while i < end:
            t = int.from_bytes(h[i:i+2], 'big'); l = int.from_bytes(h[i+2:i+4], 'big')
            exts.append((t, h[i+4:i+4+l])); i += 4 + l
    return legacy, suites, comp, exts

def u16list(d, off, lenbytes=2):
    n = int.from_bytes(d[:lenbytes], 'big')
    return [int.from_bytes(d[lenbytes+j:lenbytes+j+2], 'big') for j in range(0, n, 2)]

VNAME = {0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
DECODED = {0, 10, 13, 16, 43, 51}

def entry(meta, hexs, limits):
    legacy, suites, comp, exts = parse_hello(hexs)
    types = [t for t, _ in exts if not grease(t)]
    d = dict((t, v) for t, v in exts)
    versions = None
    if 43 in d:
        versions = [v for v in u16list(d[43], 0, 1) if not grease(v)]
    else:
        lo = limits.get('lowest')
        versions = [v for v in range(legacy, (lo or legacy) - 1, -1)]
    groups = [g for g in u16list(d[10], 0) if not grease(g)] if 10 in d else []
    sigalgs = [x for x in u16list(d[13], 0) if not grease(x)] if 13 in d else []
    shares = []
    if 51 in d:
        ks = d[51]; j = 2
        while j < len(ks):
            g = int.from_bytes(ks[j:j+2], 'big'); l = int.from_bytes(ks[j+2:j+4], 'big')
            if not grease(g): shares.append(g)
            j += 4 + l
    alpn = []
    if 16 in d:
        a = d[16]; j = 2
        while j < len(a):
            l = a[j]; alpn.append(a[j+1:j+1+l].decode()); j += 1 + l
    raw = {t: v.hex() for t, v in exts if t not in DECODED and not grease(t) and len(v) > 0}
    out = []
    w = out.append
    w('[[client]]')
    for k in ('name', 'version', 'platform'):
        w(f'{k} = "{meta[k]}"')
    w(f'current = {str(meta["current"]).lower()}')
    if meta.get('note'): w(f'note = "{meta["note"]}"')
    w(f'source = "{meta["source"]}"')
    w(f'legacy_version = "{VNAME[legacy]}"')
    lo = limits.get('lowest')
    if meta.get('local') and lo and lo != min(versions):
        w(f'min_version = "{VNAME[lo]}"')
    w('versions = [' + ', '.join(f'"{VNAME[v]}"' for v in versions if v in VNAME) + ']')
    def hexlist(xs): return '[' + ', '.join(f'0x{x:04X}' for x in xs) + ']'
    w('cipher_suites = ' + hexlist([s for s in suites if not grease(s)]))
    w('groups = ' + hexlist(groups))
    w('signature_algorithms = ' + hexlist(sigalgs))
    w('key_shares = ' + hexlist(shares))
    w('alpn = [' + ', '.join(f'"{p}"' for p in alpn) + ']')
    w(f'sni = {str(0 in d).lower()}')
    w(f'extended_master_secret = {str(23 in d).lower()}')
    w(f'status_request = {str(5 in d).lower()}')
    w(f'session_ticket = {str(35 in d).lower()}')
    if comp != [0]: w('compression = [' + ', '.join(str(c) for c in comp) + ']')
    w('extensions = [' + ', '.join(str(t) for t in types) + ']')
    for k in ('min_dh_bits', 'max_dh_bits', 'min_rsa_bits', 'max_rsa_bits', 'min_ecdsa_bits'):
        v = limits.get(k)
        if v is not None and v != -1: w(f'{k} = {v}')
    if limits.get('requires_sha2'): w('requires_sha2 = true')
    if raw:
        w('extension_data = { ' + ', '.join(f'"{t}" = "{v}"' for t, v in raw.items()) + ' }')
    return '\n'.join(out) + '\n'

LOCAL_ONLY = sys.argv[1] == '--local-only'
testssl = {} if LOCAL_ONLY else parse_testssl(sys.argv[1])

# (testssl name, our name, version, platform, current)
PICK = [
    ("Chromium 137 (Win 11)", "Chrome", "137", "Windows 11", True),
    ("Firefox 137 (Win 11)", "Firefox", "137", "Windows 11", True),
    ("Edge 133 Win 11 23H2", "Edge", "133", "Windows 11 23H2", True),
    ("Safari 26.4 (macOS/iOS/iPadOS 26.4)", "Safari", "26.4", "macOS 26.4", True),
    ("Safari 26.4 (iOS+iPadOS 26.4)", "Safari", "26.4", "iOS 26.4", True),
    ("Android 7.0 (native)", "Android", "7.0", "Android 7.0 (native TLS stack)", False),
    ("Android 10.0 (native)", "Android", "10.0", "Android 10 (native TLS stack)", False),
    ("Android 13/14 (native)", "Android", "14", "Android 13/14 (native TLS stack)", True),
    ("Android 15/16 (native)", "Android", "15", "Android 15/16 (native TLS stack)", True),
    ("Java 8u442 (OpenJDK)", "Java", "8u442", "OpenJDK", False),
    ("Java 11.0.2 (OpenJDK)", "Java", "11.0.2", "OpenJDK", False),
    ("Java 21.0.6 (OpenJDK)", "Java", "21.0.6", "OpenJDK", False),
    ("OpenSSL 1.0.2e", "OpenSSL", "1.0.2e", "s_client", False),
    ("OpenSSL 1.1.1d (Debian)", "OpenSSL", "1.1.1d", "Debian s_client", False),
    ("OpenSSL 3.5.0 (git)", "OpenSSL", "3.5.0", "s_client", False),
    ("go 1.17.8", "Go", "1.17.8", "crypto/tls", False),
    ("IE 11 Win 7", "IE", "11", "Windows 7", False),
    ("IE 11 Win 8.1", "IE", "11", "Windows 8.1", False),
    ("Android 4.4.2", "Android", "4.4.2", "Android 4.4.2", False),
    ("Safari 9 iOS 9", "Safari", "9", "iOS 9", False),
    ("Safari 9 OS X 10.11", "Safari", "9", "OS X 10.11", False),
    ("Java 7u25", "Java", "7u25", "Oracle JRE", False),
]

def limits_of(e):
    g = lambda k: int(e[k]) if e.get(k) not in (None, '') else -1
    return {
        'lowest': int(e['lowest_protocol'], 16),
        'min_dh_bits': g('minDhBits'), 'max_dh_bits': g('maxDhBits'),
        'min_rsa_bits': g('minRsaBits'), 'max_rsa_bits': g('maxRsaBits'),
        'min_ecdsa_bits': g('minEcdsaBits'), 'requires_sha2': e.get('requiresSha2') == 'true',
    }

out = [open(os.path.join(HERE, 'header.toml')).read()]
if LOCAL_ONLY:
    # The testssl.sh entries of the current file, unchanged: every block up to the first
    # local capture (their sources start "Captured on").
    blocks = open(sys.argv[2]).read().split('\n[[client]]\n')[1:]
    for block in blocks:
        if 'source = "Captured on' in block: break
        out.append('[[client]]\n' + block.rstrip('\n') + '\n')
for tname, name, ver, plat, cur in ([] if LOCAL_ONLY else PICK):
    e = testssl[tname]
    src = (f"testssl.sh etc/client-simulation.txt, entry \\\"{tname}\\\" (commit {TESTSSL_COMMIT[:12]}): "
           "the hello as captured (most entries by SSL Labs, api.ssllabs.com/api/v3/getClients; newer ones by testssl.sh with Wireshark), "
           "and its limits (minDhBits, maxDhBits, minRsaBits, maxRsaBits, minEcdsaBits, requiresSha2)")
    out.append(entry({'name': name, 'version': ver, 'platform': plat, 'current': cur, 'source': src},
                     e['handshakebytes'], limits_of(e)))

# Hellos captured on this machine (Debian 12), with limits from the libraries' documentation.
LOCAL = [l.split('|') for l in open(os.path.join(HERE, 'local.txt')).read().strip().split('\n')]
for fname, name, ver, plat, src, lim, note in LOCAL:
    lims = dict(kv.split('=') for kv in lim.split(',') if kv)
    lims = {k: (int(v) if v.lstrip('-').isdigit() else v == 'true') for k, v in lims.items()}
    out.append(entry({'name': name, 'version': ver, 'platform': plat, 'current': False, 'source': src, 'note': note, 'local': True},
                     open(os.path.join(HERE, f'{fname}.hex')).read().strip(), lims))
open(sys.argv[2], 'w').write('\n'.join(out))
