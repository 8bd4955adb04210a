#!/usr/bin/env bash
# Run the Autobahn|Testsuite fuzzing client against a WebSocket server and summarise it.
#
#   .ci/autobahn/run.sh URL [CASES]
#     URL    e.g. ws://127.0.0.1:9001/echo (the server must echo text and binary messages)
#     CASES  comma list of case patterns, default: 1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,12.*,13.*
#            (8.* and 11.* do not exist; 12.*/13.* are permessage-deflate)
#
#   AUTOBAHN_VENV     venv made by setup.sh (default: $HOME/.cache/relayd-autobahn/venv)
#   AUTOBAHN_OUT      directory for spec, log and reports (default: a new mktemp -d)
#   AUTOBAHN_AGENT    server name used in the reports (default: relayd)
#   AUTOBAHN_TIMEOUT  seconds before wstest is killed (default: 3600)
#
# Exit status: 0 if every case is OK or INFORMATIONAL (behaviour) with an OK/INFORMATIONAL
# close behaviour; 1 if any case is FAILED, NON-STRICT, UNIMPLEMENTED or closed badly, or
# if not every selected case ran; 2 on usage/setup errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

url=${1:-}
cases=${2:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,12.*,13.*}
if [[ ! $url =~ ^wss?://[^/]+ ]]; then
    echo "usage: $0 ws://HOST:PORT/PATH [CASE,CASE,...]" >&2
    exit 2
fi
venv=${AUTOBAHN_VENV:-$HOME/.cache/relayd-autobahn/venv}
wstest=$venv/bin/wstest
if [[ ! -x $wstest ]]; then
    echo "run.sh: $wstest not found; run $here/setup.sh first" >&2
    exit 2
fi
out=${AUTOBAHN_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/relayd-autobahn.XXXXXX")}
mkdir -p "$out"
reports=$out/reports

# Fail fast if nothing listens (wstest would record zero cases and exit 0).
python3 - "$url" <<'EOF' || exit 2
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
port = u.port or (443 if u.scheme == "wss" else 80)
try:
    socket.create_connection((u.hostname, port), timeout=5).close()
except OSError as e:
    sys.exit("run.sh: cannot connect to %s:%s: %s" % (u.hostname, port, e))
EOF

# The spec. failByDrop=false: a server that drops the TCP connection instead of doing the
# closing handshake after a protocol error is graded on its behaviour, not failed outright.
python3 - "$url" "$cases" "$reports" "${AUTOBAHN_AGENT:-relayd}" >"$out/spec.json" <<'EOF'
import json, sys
url, cases, outdir, agent = sys.argv[1:]
json.dump({
    "outdir": outdir,
    "servers": [{"agent": agent, "url": url}],
    "cases": [c.strip() for c in cases.split(",") if c.strip()],
    "exclude-cases": [],
    "exclude-agent-cases": {},
    "options": {"failByDrop": False},
}, sys.stdout, indent=2)
EOF

echo "autobahn: spec $out/spec.json, log $out/wstest.log"
start=$SECONDS
# cryptography 3.3 prints a Python 2 deprecation warning on stderr; it goes to the log too.
# wstest's own exit status says nothing about results (the index below does).
(cd "$out" && timeout "${AUTOBAHN_TIMEOUT:-3600}" "$wstest" -m fuzzingclient -s spec.json) \
    >"$out/wstest.log" 2>&1 || echo "autobahn: wstest exited with status $? (see $out/wstest.log)"
echo "autobahn: wstest ran $((SECONDS - start))s"

# Summarise reports/index.json ({agent: {case id: {behavior, behaviorClose, ...}}}).
status=0
python3 - "$reports/index.json" "$out/wstest.log" <<'EOF' || status=$?
import json, re, sys
index_path, log_path = sys.argv[1:]
try:
    index = json.load(open(index_path))
except (OSError, ValueError) as e:
    sys.exit("autobahn: no usable report index (%s); see %s" % (e, log_path))
log = open(log_path, errors="replace").read()
planned = re.search(r"will run (\d+) test cases", log)

ACCEPT = ("OK", "INFORMATIONAL")
counts = dict.fromkeys(["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"], 0)
bad = []
for agent, results in sorted(index.items()):
    for case_id, r in results.items():
        behavior, close = r.get("behavior"), r.get("behaviorClose")
        if behavior in ("FAILED", "NON-STRICT", "UNIMPLEMENTED"):
            kind = behavior
        elif behavior in ACCEPT and close not in ACCEPT:
            kind = "FAILED"  # right behaviour, but a wrong/unclean/missing close
        elif behavior in ACCEPT:
            kind = behavior
        else:
            kind = "FAILED"  # anything this script does not know
        counts[kind] += 1
        if kind not in ACCEPT:
            bad.append((tuple(int(p) for p in case_id.split(".")), case_id, behavior, close))

total = sum(counts.values())
print("autobahn: %d cases, " % total + " ".join("%s=%d" % kv for kv in counts.items()))
for _, case_id, behavior, close in sorted(bad):
    print("  %s: behavior=%s close=%s" % (case_id, behavior, close))
failed = bool(bad)
if planned is None or int(planned.group(1)) != total:
    print("autobahn: wstest planned %s cases but reported %d (server gone? see %s)"
          % (planned.group(1) if planned else "?", total, log_path))
    failed = True
sys.exit(1 if failed else 0)
EOF

[[ -f $reports/index.html ]] && echo "autobahn: report $reports/index.html"
exit "$status"
