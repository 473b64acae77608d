// SPDX-License-Identifier: MIT
// report.html's script (embedded by the build): draws a run's timeline when
// its <details> opens. "#all" opens every run, "#rN" opens run N.
(function () {
	'use strict';
	var D = JSON.parse(document.getElementById('deadpeer-data').textContent);
	var NS = 'http://www.w3.org/2000/svg';
	var W = 1000, L = 64, R = 16;
	var LANE = [50, 190, 120];	// client, server, router
	var NAMES = ['client', 'server', 'router'];
	var H = 250;

	function el(name, attrs, parent) {
		var e = document.createElementNS(NS, name);
		for (var k in attrs)
			e.setAttribute(k, attrs[k]);
		if (parent)
			parent.appendChild(e);
		return e;
	}
	function text(parent, x, y, s, attrs) {
		var a = { x: x, y: y };
		for (var k in attrs)
			a[k] = attrs[k];
		el('text', a, parent).textContent = s;
	}
	function sec(ms) {
		return (ms / 1000).toFixed(3) + ' s';
	}
	// What a side's class word is, from that side's view: the kind drawn, and whether it came in.
	function kindOf(word) {
		if (word === 'in' || word === 'in-data')
			return { k: word === 'in' ? 'ack' : 'data', inbound: true };
		if (word === 'probe-reply')
			return { k: 'probe-reply', inbound: true };
		if (word === 'in-unreach')
			return { k: 'in-unreach', inbound: true };
		if (word.indexOf('in-') === 0)
			return { k: word.slice(3), inbound: true };
		return { k: word, inbound: false };
	}
	function niceStep(span) {
		var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
		return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
	}

	function draw(det) {
		var i = +det.getAttribute('data-i'), run = D.r[i], w = run.w, box = det.querySelector('.tl');
		if (!w || det.getAttribute('data-drawn'))
			return;
		det.setAttribute('data-drawn', '1');
		// The span shown: every packet, fault, detection and prediction, and the deadline.
		var a = Infinity, b = -Infinity, s, j;
		function take(ms) {
			if (ms === undefined || ms === null || !isFinite(ms))
				return;
			a = Math.min(a, ms);
			b = Math.max(b, ms);
		}
		take(0);
		take(w.e / 1000);
		if (w.end)
			take(w.end / 1000);
		for (s = 0; s < 2; s++) {
			var p = w.p[s];
			for (j = 1; j < p.length; j += 2)
				take(p[j] / 1000);
			var f = run.s[s];
			take(f.d); take(f.pr); take(f.lo); take(f.hi); take(f.ad);
		}
		w.f.forEach(function (ft) { take(ft[2] / 1000); if (ft[3] !== null) take(ft[3] / 1000); });
		var pad = (b - a) * 0.03 || 100;
		a -= pad;
		b += pad;
		render(box, run, a, b, a, b);
	}

	// Draw @run's timeline in @box from @a to @b ms; [@a0, @b0] is the whole run, for zooming out.
	function render(box, run, a, b, a0, b0) {
		var w = run.w, s, j;
		function X(ms) {
			return L + (ms - a) / (b - a) * (W - L - R);
		}
		function shown(ms) {
			return ms !== undefined && ms >= a && ms <= b;
		}
		var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', class: 'timeline' });
		// Lanes and the time axis.
		for (s = 0; s < 3; s++) {
			el('line', { x1: L, x2: W - R, y1: LANE[s], y2: LANE[s], stroke: '#bbb' }, svg);
			text(svg, 4, LANE[s] + 4, NAMES[s], { 'font-weight': 'bold' });
		}
		var step = niceStep(b - a);
		for (var t = Math.ceil(a / step) * step; t <= b; t += step) {
			el('line', { x1: X(t), x2: X(t), y1: 20, y2: H - 22, stroke: '#eee' }, svg);
			text(svg, X(t), H - 8, +(t / 1000).toFixed(6) + ' s', { 'text-anchor': 'middle' });
		}
		// The faults: a band over every lane, darker on the one it hit.
		w.f.forEach(function (ft) {
			var end = ft[3] === null ? b : ft[3] / 1000;
			if (end < a || ft[2] / 1000 > b)
				return;
			var x0 = X(Math.max(ft[2] / 1000, a)), x1 = X(Math.min(end, b));
			var g = el('g', { class: 'fault' }, svg);
			el('rect', { x: x0, y: 22, width: Math.max(x1 - x0, 1), height: H - 44, fill: '#f4c7c3', opacity: 0.5 }, g);
			el('rect', { x: x0, y: LANE[ft[1]] - 14, width: Math.max(x1 - x0, 1), height: 28, fill: '#f4c7c3' }, g);
			text(g, x0 + 3, 16, ft[0] + ' (' + NAMES[ft[1]] + ')' + (ft[3] === null ? '' : ' until ' + sec(ft[3] / 1000)),
			     { fill: '#a33' });
			el('title', {}, g).textContent = ft[0] + ' of the ' + NAMES[ft[1]] + ' from ' + sec(ft[2] / 1000) +
				(ft[3] === null ? ' to the end' : ' to ' + sec(ft[3] / 1000));
		});
		// Each side's prediction: its window and instant.
		for (s = 0; s < 2; s++) {
			var f = run.s[s], y = LANE[s], below = s === 0 ? -1 : 1;
			if (!shown(f.pr))
				continue;
			var g = el('g', { class: 'predicted' }, svg);
			if (f.lo !== undefined && f.hi !== undefined)
				el('rect', { x: X(Math.max(f.lo, a)), y: y - 16, width: Math.max(X(Math.min(f.hi, b)) - X(Math.max(f.lo, a)), 1.5),
					     height: 32, fill: '#cdebd0' }, g);
			el('line', { x1: X(f.pr), x2: X(f.pr), y1: y - 18, y2: y + 18, stroke: '#2a7', 'stroke-width': 2,
				     'stroke-dasharray': '3 2' }, g);
			var right = X(f.pr) > W * 0.7;
			text(g, X(f.pr) + (right ? -4 : 4), y + 30 * -below, 'predicted ' + sec(f.pr),
			     { fill: '#2a7', 'text-anchor': right ? 'end' : 'start' });
			el('title', {}, g).textContent = NAMES[s] + ': predicted ' + sec(f.pr) +
				(f.lo !== undefined ? ', window ' + sec(f.lo) + ' to ' + sec(f.hi) : '');
		}
		// The packets: from the side's lane to the router's, a dot where it left, an arrowhead where it came.
		for (s = 0; s < 2; s++) {
			var p = w.p[s], y = LANE[s], r = LANE[2], dir = r > y ? 1 : -1;
			for (j = 0; j < p.length; j += 2) {
				var word = D.k[p[j]], kd = kindOf(word), c = D.kinds[kd.k] || ['#000', kd.k];
				var x = X(p[j + 1] / 1000), ms = p[j + 1] / 1000;
				if (!shown(ms))
					continue;
				var g = el('g', { class: 'mk ' + word + (kd.inbound ? ' in' : ' out'), 'data-side': NAMES[s] }, svg);
				el('line', { x1: x, x2: x, y1: y + dir * 4, y2: r - dir * 3, stroke: c[0], 'stroke-width': 1.5 }, g);
				if (kd.inbound)
					el('path', { d: 'M' + x + ' ' + (y + dir * 1) + 'l-4 ' + dir * 7 + 'h8z', fill: c[0] }, g);
				else
					el('circle', { cx: x, cy: y, r: 3.5, fill: c[0] }, g);
				el('title', {}, g).textContent = NAMES[s] + (kd.inbound ? ' received ' : ' sent ') + c[1] + ' at ' +
					sec(ms) + ' (' + word + ')';
			}
			if (w.drop[s])
				text(svg, W - R, y - 6, w.drop[s] + ' more packets not listed', { 'text-anchor': 'end', fill: '#a33' });
		}
		// Each side's detection: outcome and mechanism, and the program's own when it has one.
		for (s = 0; s < 2; s++) {
			var f = run.s[s], y = LANE[s], above = s === 0 ? -1 : 1;
			if (shown(f.d)) {
				var g = el('g', { class: 'detect', 'data-side': NAMES[s] }, svg);
				var right = X(f.d) > W * 0.7;
				el('line', { x1: X(f.d), x2: X(f.d), y1: y - 20, y2: y + 20, stroke: '#000', 'stroke-width': 3 }, g);
				var label = f.o + (f.m && f.m !== '-' ? '/' + f.m : '') + ' ' + sec(f.d);
				text(g, X(f.d) + (right ? -5 : 5), y + 26 * above + (above < 0 ? 0 : 8), label,
				     { 'font-weight': 'bold', 'text-anchor': right ? 'end' : 'start' });
				el('title', {}, g).textContent = NAMES[s] + ' detected: ' + label;
			} else if (f.d === undefined && f.o) {
				text(svg, W - R, y + 26 * above + (above < 0 ? 0 : 8), NAMES[s] + ': ' + f.o,
				     { 'text-anchor': 'end', class: 'detect-none' });
			}
			if (shown(f.ad)) {
				var g = el('g', { class: 'app-detect' }, svg);
				el('path', { d: 'M' + X(f.ad) + ' ' + (y - 9) + 'l6 9-6 9-6-9z', fill: '#fff', stroke: '#000' }, g);
				el('title', {}, g).textContent = NAMES[s] + "'s program: " + f.ar + ' at ' + sec(f.ad);
			}
		}
		// Drag across the timeline to zoom in on that span, double-click to see the whole run again.
		var from = null, sel = null;
		function at(ev) {
			var r = svg.getBoundingClientRect();
			return a + ((ev.clientX - r.left) * W / r.width - L) / (W - L - R) * (b - a);
		}
		svg.addEventListener('mousedown', function (ev) {
			from = at(ev);
			sel = el('rect', { x: X(from), y: 20, width: 0, height: H - 40, fill: '#36c', opacity: 0.15 }, svg);
			ev.preventDefault();
		});
		svg.addEventListener('mousemove', function (ev) {
			if (from === null)
				return;
			var to = at(ev);
			sel.setAttribute('x', X(Math.min(from, to)));
			sel.setAttribute('width', Math.abs(X(to) - X(from)));
		});
		svg.addEventListener('mouseup', function (ev) {
			if (from === null)
				return;
			var to = at(ev), lo = Math.min(from, to), hi = Math.max(from, to);
			from = null;
			if (Math.abs(X(hi) - X(lo)) < 5) {
				sel.remove();
				return;
			}
			render(box, run, lo, hi, a0, b0);
		});
		svg.addEventListener('dblclick', function () {
			render(box, run, a0, b0, a0, b0);
		});
		box.textContent = '';
		box.appendChild(svg);
		if (a > a0 || b < b0)
			text(svg, W - R, 12, 'zoomed: ' + sec(a) + ' to ' + sec(b) + ' (double-click for the whole run)',
			     { 'text-anchor': 'end', fill: '#36c' });
	}

	var all = document.querySelectorAll('details.run');
	function openHash() {
		var h = location.hash;
		if (h === '#all') {
			for (var i = 0; i < all.length; i++)
				all[i].open = true;
		} else if (/^#r\d+$/.test(h)) {
			var d = document.getElementById(h.slice(1));
			if (d)
				d.open = true;
		}
		for (var i = 0; i < all.length; i++)
			if (all[i].open)
				draw(all[i]);
	}
	for (var i = 0; i < all.length; i++)
		all[i].addEventListener('toggle', function (ev) {
			if (ev.target.open)
				draw(ev.target);
		});
	window.addEventListener('hashchange', openHash);
	openHash();
	// When the page was usable, from navigation start: parsed and scripted, then laid out and painted.
	document.documentElement.setAttribute('data-ready-ms', Math.round(performance.now()));
	requestAnimationFrame(function () {
		setTimeout(function () {
			document.documentElement.setAttribute('data-painted-ms', Math.round(performance.now()));
		}, 0);
	});
})();
