// Measures every visible text element inside .pc-panel: WCAG contrast of its colour against
// the background it is painted on, labels cut by their box, and line height. Returns problems.
(opts) => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => {  // source-over compositing of two colours
    const a = top.a + under.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + under[k] * under.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  // The background an element is painted on: its own and its ancestors' backgrounds,
  // composited from the first opaque one; the page (html) is the last resort.
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let c = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c);
    return c;
  };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const disabled = (el) => !!el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, .mod-disabled');
  const ownText = (el) => {
    if (/^(INPUT|TEXTAREA)$/.test(el.tagName)) return el.value || '';
    if (el.tagName === 'SELECT') return '';  // its <option>s are measured
    return Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
  };
  const panel = document.querySelector('.pc-panel');
  // A label is cut when its box is narrower than its text, or when it sticks out of the
  // panel or out of an ancestor that hides overflow.
  const clipped = (el) => {
    const r = el.getBoundingClientRect();
    for (let e = el.parentElement; e; e = e.parentElement) {
      const ov = getComputedStyle(e).overflowX;
      if (e === panel || ov === 'hidden' || ov === 'clip') {
        const b = e.getBoundingClientRect();
        if (r.right > b.right + 1 || r.left < b.left - 1) return true;
      }
      if (e === panel) return false;
    }
    return false;
  };
  // A drop-down shows the chosen option in one line: cut when an option's text (any one,
  // since the user may choose it) is wider than the box inside its padding (where the arrow sits)
  const ruler = document.createElement('canvas').getContext('2d');
  const widestOption = (el) => {
    const cs = getComputedStyle(el);
    ruler.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    return Array.from(el.options).map((o) => ({ text: o.text, width: ruler.measureText(o.text).width }))
      .reduce((a, b) => (b.width > a.width ? b : a), { text: '', width: 0 });
  };
  const selectCut = (el) => {
    if (el.tagName !== 'SELECT' || el.multiple || el.size > 1 || !el.options.length) return false;
    const cs = getComputedStyle(el);
    const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return widestOption(el).width > room + 1;
  };
  const out = { contrast: [], cut: [], lineHeight: [], measured: 0, worst: null };
  for (const el of panel.querySelectorAll('*')) {
    if (el.closest('svg') || !visible(el)) continue;
    const text = ownText(el).trim();
    const cs = getComputedStyle(el);
    const isLabel = el.matches('button, .jupyter-button, .widget-label, label, .widget-label-basic');
    const narrow = el.scrollWidth > el.clientWidth + 1 && cs.overflowX !== 'auto' && cs.overflowX !== 'scroll';
    if (isLabel && (narrow || clipped(el))) {
      out.cut.push({ tag: el.tagName, cls: el.className, text: (el.innerText || '').slice(0, 60),
                     scrollWidth: el.scrollWidth, clientWidth: el.clientWidth });
    } else if (selectCut(el)) {
      const widest = widestOption(el);
      out.cut.push({ tag: el.tagName, cls: el.parentElement.className, text: widest.text.slice(0, 60),
                     scrollWidth: Math.ceil(widest.width), clientWidth: el.clientWidth });
    }
    if (!text || disabled(el)) continue;  // WCAG 1.4.3 exempts inactive controls
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const fg = parse(cs.color);
    fg.a *= opacity(el);
    const bg = background(el);
    const r = ratio(over(fg, bg), bg);
    const need = large ? 3 : 4.5;
    out.measured += 1;
    const row = { tag: el.tagName, cls: String(el.className).slice(0, 80), text: text.slice(0, 50),
                  color: hex(fg) + (fg.a < 1 ? ` a=${fg.a.toFixed(2)}` : ''), background: hex(bg),
                  ratio: Math.round(r * 100) / 100, need };
    if (!out.worst || r < out.worst.ratio) out.worst = row;
    if (r < need) out.contrast.push(row);
    const formControl = el.matches('button, button *, input, textarea, select, option, label, .widget-label, .widget-label-basic');
    const lh = parseFloat(cs.lineHeight);  // "normal" parses to NaN: about 1.2, fine
    if (!formControl && !Number.isNaN(lh) && lh > opts.maxLineHeight * size) {
      out.lineHeight.push({ tag: el.tagName, cls: String(el.className).slice(0, 80), text: text.slice(0, 50),
                            lineHeight: lh, fontSize: size });
    }
  }
  return out;
}
