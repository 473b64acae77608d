#!/bin/bash
# report.html in a real browser (root): a small suite's page, opened from
# disk in Debian's headless Chromium, has one timeline per run and, for a
# keepalive timeout behind a firewall, the marks its capture holds: the
# handshake, three unanswered probes and the reset the client sends when it
# gives up; the detection and the prediction are labelled. A screenshot of
# it is not blank. `deadpeer report` writes the same page again from the
# directory; bad directories are refused with exit 2.
set -u
DEADPEER=${1:?usage: report.sh PATH-TO-deadpeer}
DEADPEER=$(readlink -f "$DEADPEER")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-report.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat > keepalive.scn <<'SCN'
[scenario]
name = report-keepalive
description = a firewall drops everything; 3 probes 1 s apart, then the client resets
deadline = 10s
[client]
keepalive = yes
keepidle = 2s
keepintvl = 1s
keepcnt = 3
[fault]
at = 1s
action = drop
target = router
[expect]
client = timeout keepalive
SCN
cat > sweep.scn <<'SCN'
[scenario]
name = report-sweep
deadline = 10s
repeat = 2
[client]
keepalive = yes
keepidle = 1s, 2s
keepintvl = 1s
keepcnt = 2
[fault]
at = 1s
action = drop
target = router
[expect]
client = timeout keepalive
SCN

"$DEADPEER" run -q -o out keepalive.scn sweep.scn > run.log 2>&1
check "the suite passes" test $? = 0
check "run says where the report is" grep -qx "report: out/report.html" run.log
check "report.html is written" test -s out/report.html
runs=$(($(wc -l < out/results.csv) - 1))
runs=$((runs / 2))
check "5 runs (1 + 2 sweep values x 2 repeats)" test "$runs" = 5
check "one section per run" test "$(grep -o '<details class="run"' out/report.html | wc -l)" = 5
check "nothing is fetched: no src=, <link, url(, @import" \
	bash -c "! grep -Eq ' src=|<link|url\\(|@import' out/report.html"
check "the only address is the SVG namespace" \
	bash -c "[ \"\$(grep -o 'https\\?://[^\"'\"'\"' ]*' out/report.html | sort -u)\" = http://www.w3.org/2000/svg ]"
check "the sweep is charted against its value" grep -q 'report-sweep: detection time against client.keepidle' out/report.html
check "the repeats have their rates" grep -q 'report-sweep \[client.keepidle=1s\]: 2 runs' out/report.html

# The same page again, from the directory alone.
cp out/report.html first.html
rm out/report.html
"$DEADPEER" report out > report.log 2>&1
check "deadpeer report exits 0" test $? = 0
check "deadpeer report says how many runs" grep -qx "out/report.html: 5 runs" report.log
check "deadpeer report writes the same page" cmp -s first.html out/report.html
check "no temporary file is left" bash -c "[ -z \"\$(ls -A out | grep -v -e '^results.csv$' -e '^summary.txt$' -e '^rates.csv$' -e '^runs$' -e '^report.html$' -e '^.lock$' -e '^suite.txt$')\" ]"

"$DEADPEER" report "$work/none" > bad.log 2>&1
check "a missing directory: exit 2" test $? = 2
check "... saying so" grep -q 'is not a results directory' bad.log
mkdir broken
printf 'scenario,variant\nx,"unterminated\n' > broken/results.csv
"$DEADPEER" report broken > bad.log 2>&1
check "a malformed results.csv: exit 2" test $? = 2
check "... with FILE:LINE" grep -q '^broken/results.csv:[0-9]*: ' bad.log
check "... and no report" test ! -e broken/report.html

# The browser: Debian's Chromium, headless, nothing but the file.
chromium=$(command -v chromium)
if [ -z "$chromium" ]; then
	not_ok "chromium is installed (scripts/install-deps installs it)"
	finish
	exit
fi
browse() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --disable-default-apps --no-first-run \
		--user-data-dir="$work/profile" "$@" 2> chromium.log
}
browse --dump-dom "file://$work/out/report.html#all" > dom.html
check "chromium dumps the page's DOM" test -s dom.html
python3 - dom.html > dom.txt <<'PY'
# Per run (its <details>): title, timelines, and the marks by class and side.
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.runs, self.cur, self.depth, self.in_sum = [], None, 0, False
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == 'details' and 'run' in a.get('class', '').split():
            self.cur = {'title': '', 'svg': 0, 'marks': {}, 'text': []}
            self.runs.append(self.cur)
        if self.cur is None:
            return
        if tag == 'summary':
            self.in_sum = True
        if tag == 'svg' and 'timeline' in a.get('class', ''):
            self.cur['svg'] += 1
        cls = a.get('class', '').split()
        if tag == 'g' and cls and cls[0] == 'mk':
            self.mark = '%s:%s:%s' % (a.get('data-side'), cls[1], cls[2])
        if tag == 'title' and getattr(self, 'mark', None):
            self.in_title = True
    def handle_endtag(self, tag):
        if tag == 'summary':
            self.in_sum = False
        if tag == 'g':
            self.mark = None
    def handle_data(self, d):
        if getattr(self, 'in_title', False):
            # "client sent keepalive probe at 2.040 s (probe)": counted, and apart after the fault (0 s)
            self.in_title = False
            t = float(d.split(' at ')[1].split(' s')[0])
            for k in (self.mark, 'after:' + self.mark if t >= 0 else None):
                if k:
                    self.cur['marks'][k] = self.cur['marks'].get(k, 0) + 1
            return
        if self.cur is not None:
            if self.in_sum:
                self.cur['title'] += d
            self.cur['text'].append(d)
p = P()
p.feed(open(sys.argv[1]).read())
for r in p.runs:
    print('run', r['title'].split(':')[0], 'svg', r['svg'])
    for k, v in sorted(r['marks'].items()):
        print('mark', r['title'].split(':')[0], k, v)
    print('text', r['title'].split(':')[0], ' | '.join(t.strip() for t in r['text'] if t.strip()))
PY
check "one timeline per run, drawn" test "$(grep -c '^run .* svg 1$' dom.txt)" = 5
check "the keepalive run: three probes from the client" grep -qx 'mark report-keepalive #1 client:probe:out 3' dom.txt
check "... and the reset it sends when it gives up" grep -qx 'mark report-keepalive #1 client:rst:out 1' dom.txt
check "... all three after the fault" grep -qx 'mark report-keepalive #1 after:client:probe:out 3' dom.txt
check "... the server receives nothing after the fault" bash -c "! grep -q '^mark report-keepalive #1 after:server:.*:in' dom.txt"
check "... but the handshake before it" grep -Eqx 'mark report-keepalive #1 server:in:in [1-9][0-9]*' dom.txt
check "... the handshake: the client's SYN" grep -qx 'mark report-keepalive #1 client:syn:out 1' dom.txt
check "... its detection labelled with outcome and mechanism" \
	grep -Eq '^text report-keepalive #1 .*\| timeout/keepalive 4\.[0-9]{3} s \|' dom.txt
check "... and the predicted instant beside it" grep -Eq '^text report-keepalive #1 .*\| predicted 4\.[0-9]{3} s' dom.txt
check "... the fault's band" grep -Eq '^text report-keepalive #1 .*\| drop \(router\)' dom.txt
check "the page says when it was ready" grep -Eq 'data-ready-ms="[0-9]+"' dom.html

browse --window-size=1200,1800 --screenshot="$work/shot.png" "file://$work/out/report.html#all" > /dev/null
check "chromium takes a screenshot" test -s shot.png
# Not blank: many colours, a good share of the page inked, the probes' purple among them.
python3 - shot.png > shot.txt <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, hdr = 8, b'', None
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        hdr = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert depth == 8 and ctype in (2, 6), hdr
bpp = 3 if ctype == 2 else 4
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
colours, inked, purple = set(), 0, 0
for line in rows:
    for x in range(0, stride, bpp):
        px = (line[x], line[x + 1], line[x + 2])
        colours.add(px)
        inked += px != (255, 255, 255)
        purple += abs(px[0] - 0x8e) + abs(px[1] - 0x3f) + abs(px[2] - 0xc0) < 30
print('size', w, h, 'colours', len(colours), 'inked', inked * 1000 // (w * h), 'purple', purple)
PY
read -r _ w h _ colours _ inked _ purple < shot.txt
check "the screenshot is 1200x1800" test "$w:$h" = "1200:1800"
check "the screenshot is not blank: more than 50 colours ($colours)" test "${colours:-0}" -gt 50
check "... more than 3 % of it inked (${inked:-0} per mille)" test "${inked:-0}" -gt 30
check "... the probes' purple is drawn (${purple:-0} pixels)" test "${purple:-0}" -gt 20
# ([p]rofile: the pattern must not match this check's own command line)
check "chromium left no process behind" bash -c "! pgrep -f -- '--user-data-dir=$work/[p]rofile' > /dev/null"
finish
